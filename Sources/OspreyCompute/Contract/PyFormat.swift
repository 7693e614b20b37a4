/// Prints values as CPython does: `json.dumps(...)`, `str(...)` and `repr(...)`.
///
/// The toolkit's environment variables are `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`
/// and its command-line arguments are `str(value)`; user code compares against these texts, so they must match byte for byte.
extension PyValue {
    /// `json.dumps(self, sort_keys=sortKeys, separators=compact ? (",", ":") : (", ", ": "), ensure_ascii=True)`.
    func jsonText(sortKeys: Bool = true, compact: Bool = true) -> String {
        var out = ""
        writeJSON(into: &out, sortKeys: sortKeys, itemSeparator: compact ? "," : ", ", keySeparator: compact ? ":" : ": ")
        return out
    }

    private func writeJSON(into out: inout String, sortKeys: Bool, itemSeparator: String, keySeparator: String) {
        switch self {
        case .none: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let digits): out += digits
        case .float(let value):
            if value.isNaN {
                out += "NaN"
            } else if value.isInfinite {
                out += value < 0 ? "-Infinity" : "Infinity"
            } else {
                out += PyFloat.repr(value)
            }
        case .string(let value): PyValue.writeJSONString(value, into: &out)
        case .list(let values):
            out += "["
            for (position, value) in values.enumerated() {
                if position > 0 { out += itemSeparator }
                value.writeJSON(into: &out, sortKeys: sortKeys, itemSeparator: itemSeparator, keySeparator: keySeparator)
            }
            out += "]"
        case .dict(let members):
            out += "{"
            let ordered = sortKeys ? members.sorted { PyValue.codePointLess($0.key, $1.key) } : members
            for (position, member) in ordered.enumerated() {
                if position > 0 { out += itemSeparator }
                PyValue.writeJSONString(member.key, into: &out)
                out += keySeparator
                member.value.writeJSON(into: &out, sortKeys: sortKeys, itemSeparator: itemSeparator, keySeparator: keySeparator)
            }
            out += "}"
        }
    }

    /// `json.dumps` of a string with `ensure_ascii=True`: everything outside printable ASCII becomes `\uXXXX` (lowercase hex).
    static func writeJSONString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case " "..."~": out.unicodeScalars.append(scalar)
            default:
                if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    out += hex4(0xD800 + (value >> 10)) + hex4(0xDC00 + (value & 0x3FF))
                } else {
                    out += hex4(scalar.value)
                }
            }
        }
        out += "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `str(self)`: a string is itself, everything else is its `repr`.
    var pythonStr: String {
        if case .string(let value) = self { return value }
        return pythonRepr
    }

    /// `repr(self)`: `None`, `True`, `1.5`, `'text'`, `[1, 'a']`, `{'k': 2}` (dicts in insertion order).
    var pythonRepr: String {
        switch self {
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let digits): return digits
        case .float(let value):
            if value.isNaN { return "nan" }
            if value.isInfinite { return value < 0 ? "-inf" : "inf" }
            return PyFloat.repr(value)
        case .string(let value): return PyValue.reprString(value)
        case .list(let values): return "[" + values.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .dict(let members):
            return "{" + members.map { PyValue.reprString($0.key) + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        }
    }

    /// `repr(str)`: single quotes unless the text holds `'` and no `"`; escapes for `\\`, the quote and non-printables.
    static func reprString(_ text: String) -> String {
        let quote: Unicode.Scalar = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case quote: out += "\\" + String(quote)
            default:
                if isPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else {
                    let digits = String(scalar.value, radix: 16)
                    let (prefix, width) = scalar.value < 0x100 ? ("\\x", 2) : scalar.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                    out += prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits
                }
            }
        }
        out.unicodeScalars.append(quote)
        return out
    }

    /// `str.isprintable()` for one character: not a control, format, surrogate, private-use, unassigned or separator
    /// character, except the ASCII space.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }
}

/// CPython's `float.__repr__`: the shortest text that reads back to the same double, in exponent form when the decimal
/// point would sit more than 16 places right or 4 places left of the first digit (`1e+16`, `1e-05`, `1000000000000000.0`).
enum PyFloat {
    static func repr(_ value: Double) -> String {
        // Swift prints the same shortest digits, only with other thresholds for the exponent form; take its digits.
        var text = value.description
        var negative = false
        if text.hasPrefix("-") {
            negative = true
            text.removeFirst()
        }
        var exponent = 0
        if let mark = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: mark)...]) ?? 0
            text = String(text[..<mark])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts.first.map(String.init) ?? ""
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = Array(whole + fraction)
        var point = whole.count + exponent  // the value is 0.<digits> * 10^point
        while let first = digits.first, first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while let last = digits.last, last == "0" { digits.removeLast() }
        let sign = negative ? "-" : ""
        guard !digits.isEmpty else { return sign + "0.0" }
        let digitText = String(digits)
        if point <= -4 || point > 16 {
            let mantissa = digits.count == 1 ? digitText : String(digits[0]) + "." + String(digits[1...])
            let power = point - 1
            let powerDigits = String(abs(power))
            return sign + mantissa + "e" + (power < 0 ? "-" : "+") + (powerDigits.count < 2 ? "0" : "") + powerDigits
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digitText }
        if point >= digits.count { return sign + digitText + String(repeating: "0", count: point - digits.count) + ".0" }
        return sign + String(digits[..<point]) + "." + String(digits[point...])
    }
}
