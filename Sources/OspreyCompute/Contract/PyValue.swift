/// A value as Python's `json.loads` returns it: integers apart from floats, object members in document order.
///
/// The training contract must print values exactly as the SageMaker training toolkit (Python) does, so it keeps what
/// Python keeps. Core's `JSONValue` is for wire documents and loses both distinctions.
enum PyValue: Sendable, Equatable {
    case none
    case bool(Bool)
    /// An integer of any size, as canonical decimal digits (an optional `-`, no leading zeros).
    case int(String)
    case float(Double)
    case string(String)
    case list([PyValue])
    /// Members in insertion order; keys are unique (a repeated key keeps its first place and its last value, as in Python).
    case dict([(key: String, value: PyValue)])

    static func == (lhs: PyValue, rhs: PyValue) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.float(let a), .float(let b)): a == b || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.dict(let a), .dict(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// A dictionary whose members are ordered by key, as `json.dumps(sort_keys=True)` would print them anyway.
    static func sortedDict(_ members: [String: PyValue]) -> PyValue {
        .dict(members.sorted { PyValue.codePointLess($0.key, $1.key) }.map { (key: $0.key, value: $0.value) })
    }

    static func strings(_ values: [String]) -> PyValue { .list(values.map(PyValue.string)) }

    /// Python's string order: by code point, with no Unicode normalisation (Swift's `<` normalises).
    static func codePointLess(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
    }

    /// Python truthiness, for the toolkit's `if params.get(...)` checks.
    var isTruthy: Bool {
        switch self {
        case .none: false
        case .bool(let value): value
        case .int(let digits): digits != "0"
        case .float(let value): value != 0
        case .string(let value): !value.isEmpty
        case .list(let values): !values.isEmpty
        case .dict(let members): !members.isEmpty
        }
    }
}

extension PyValue {
    /// Decodes like `json.loads(text)`; nil where Python raises (the toolkit then keeps the raw string).
    static func parseJSON(_ text: String) -> PyValue? {
        var parser = PyJSONParser(bytes: Array(text.utf8))
        return parser.parseDocument()
    }

    /// A hyperparameter value decoded as the toolkit's `read_hyperparameters` does: JSON, else the raw string.
    static func decodeHyperparameter(_ raw: String) -> PyValue {
        parseJSON(raw) ?? .string(raw)
    }
}

/// A JSON parser with Python's `json` module semantics (strict mode): `NaN`/`Infinity` literals, big integers kept
/// exact, control characters refused inside strings, surrounding whitespace allowed.
private struct PyJSONParser {
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() -> PyValue? {
        skipWhitespace()
        guard let value = parseValue() else { return nil }
        skipWhitespace()
        return index == bytes.count ? value : nil
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private func peek(_ literal: String) -> Bool {
        let needle = Array(literal.utf8)
        guard index + needle.count <= bytes.count else { return false }
        return Array(bytes[index..<index + needle.count]) == needle
    }

    private mutating func parseValue() -> PyValue? {
        guard index < bytes.count, depth < 512 else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"): return parseObject()
        case UInt8(ascii: "["): return parseArray()
        case UInt8(ascii: "\""): return parseString().map(PyValue.string)
        default: break
        }
        for (literal, value) in [
            ("null", PyValue.none), ("true", .bool(true)), ("false", .bool(false)), ("NaN", .float(.nan)),
            ("Infinity", .float(.infinity)), ("-Infinity", .float(-.infinity)),
        ] where peek(literal) {
            index += literal.utf8.count
            return value
        }
        return parseNumber()
    }

    private mutating func parseObject() -> PyValue? {
        index += 1
        depth += 1
        defer { depth -= 1 }
        var members: [(key: String, value: PyValue)] = []
        var positions: [String: Int] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .dict(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = parseString() else { return nil }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipWhitespace()
            guard let value = parseValue() else { return nil }
            if let position = positions[key] {
                members[position].value = value
            } else {
                positions[key] = members.count
                members.append((key: key, value: value))
            }
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .dict(members)
            } else {
                return nil
            }
        }
    }

    private mutating func parseArray() -> PyValue? {
        index += 1
        depth += 1
        defer { depth -= 1 }
        var values: [PyValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .list(values)
        }
        while true {
            skipWhitespace()
            guard let value = parseValue() else { return nil }
            values.append(value)
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .list(values)
            } else {
                return nil
            }
        }
    }

    /// `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`: an int without fraction or exponent, else a float.
    private mutating func parseNumber() -> PyValue? {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - from
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return nil
        }
        var isFloat = false
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "."), bytes[index + 1] >= 0x30, bytes[index + 1] <= 0x39 {
            index += 1
            _ = digits()
            isFloat = true
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            let mark = index
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            if digits() == 0 {
                index = mark
            } else {
                isFloat = true
            }
        }
        let literal = String(decoding: bytes[start..<index], as: UTF8.self)
        if isFloat {
            guard let value = Double(literal) else { return nil }
            return .float(value)
        }
        return .int(literal == "-0" ? "0" : literal)
    }

    private mutating func parseHex4() -> UInt32? {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
        else { return nil }
        index += 4
        return value
    }

    private mutating func parseString() -> String? {
        index += 1
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flushRun(_ end: Int) {
            if end > runStart { scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars) }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flushRun(index)
                index += 1
                return String(scalars)
            }
            if byte < 0x20 { return nil }
            if byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            flushRun(index)
            index += 1
            guard index < bytes.count else { return nil }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                guard var code = parseHex4() else { return nil }
                if (0xD800..<0xDC00).contains(code), peek("\\u") {
                    let mark = index
                    index += 2
                    if let low = parseHex4(), (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = mark
                    }
                }
                // A lone surrogate has no Swift representation; Python would keep it, we substitute U+FFFD.
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: return nil
            }
            runStart = index
        }
        return nil
    }
}
