import Foundation

/// The JSONPath subset of batch transform's `InputFilter` and `OutputFilter`: `$`, `.name`, `['name', …]`, `[i]`, `[i:j]`
/// (either end optional, negative counts from the end), `[*]`, and unions such as `[0,2:4]`, applied left to right.
///
/// An index picks one element; a slice, a union or `[*]` picks an array; a union of names picks an object with those
/// members (SageMaker's `$['id','SageMakerOutput']`). CSV records are filtered as arrays of their columns.
public struct JSONPathFilter: Sendable, Hashable, CustomStringConvertible {
    enum Selector: Sendable, Hashable {
        case index(Int)
        case slice(Int?, Int?)
        case name(String)
    }

    /// One bracket or dot step: a single selector picks one value; several (or a slice, or `*`) pick a list.
    struct Step: Sendable, Hashable {
        var selectors: [Selector]
        var wildcard = false
    }

    public let description: String
    let steps: [Step]

    /// Parses `text`; throws `.validation` naming `field` when it is not in the subset.
    public init(_ text: String, field: String) throws {
        description = text
        var parser = Parser(text: Array(text.unicodeScalars), field: field, source: text)
        steps = try parser.parse()
    }

    /// The part of `value` the path selects; throws `.validation` when it selects nothing (an index past the end, a
    /// member that is not there, a step into a scalar).
    public func apply(_ value: JSONValue) throws -> JSONValue {
        var current = value
        for step in steps { current = try apply(step, to: current) }
        return current
    }

    private func apply(_ step: Step, to value: JSONValue) throws -> JSONValue {
        if step.wildcard {
            switch value {
            case .array: return value
            case .object(let members): return .array(members.keys.sorted().map { members[$0]! })
            default: throw miss("[*]", value)
            }
        }
        if step.selectors.count == 1, let only = step.selectors.first {
            switch only {
            case .index(let index): return try element(index, of: value)
            case .name(let name): return try member(name, of: value)
            case .slice(let start, let end): return .array(try slice(start, end, of: value))
            }
        }
        if step.selectors.allSatisfy({ if case .name = $0 { return true } else { return false } }) {
            var picked: [String: JSONValue] = [:]
            for case .name(let name) in step.selectors { picked[name] = try member(name, of: value) }
            return .object(picked)
        }
        var picked: [JSONValue] = []
        for selector in step.selectors {
            switch selector {
            case .index(let index): picked.append(try element(index, of: value))
            case .slice(let start, let end): picked += try slice(start, end, of: value)
            case .name(let name): picked.append(try member(name, of: value))
            }
        }
        return .array(picked)
    }

    private func element(_ index: Int, of value: JSONValue) throws -> JSONValue {
        guard case .array(let items) = value else { throw miss("[\(index)]", value) }
        let position = index < 0 ? items.count + index : index
        guard items.indices.contains(position) else { throw miss("[\(index)]", value) }
        return items[position]
    }

    private func member(_ name: String, of value: JSONValue) throws -> JSONValue {
        guard case .object(let members) = value, let found = members[name] else { throw miss("'\(name)'", value) }
        return found
    }

    /// Python's slice semantics: ends clipped to the array.
    private func slice(_ start: Int?, _ end: Int?, of value: JSONValue) throws -> [JSONValue] {
        guard case .array(let items) = value else { throw miss("[\(start.map(String.init) ?? ""):\(end.map(String.init) ?? "")]", value) }
        func clip(_ bound: Int?, default fallback: Int) -> Int {
            guard let bound else { return fallback }
            return min(items.count, max(0, bound < 0 ? items.count + bound : bound))
        }
        let lower = clip(start, default: 0)
        let upper = clip(end, default: items.count)
        return lower < upper ? Array(items[lower..<upper]) : []
    }

    private func miss(_ what: String, _ value: JSONValue) -> OspreyError {
        let shown = value.text
        return OspreyError(
            .validation, "The JSONPath \(description) selects nothing: \(what) is not in \(shown.count > 200 ? shown.prefix(200) + "…" : shown).")
    }
}

extension JSONPathFilter {
    struct Parser {
        let text: [Unicode.Scalar]
        let field: String
        let source: String
        var position = 0

        mutating func parse() throws -> [Step] {
            guard text.first == "$" else { throw invalid("it must start with $") }
            position = 1
            var steps: [Step] = []
            while position < text.count {
                switch text[position] {
                case ".":
                    position += 1
                    if peek("*") {
                        position += 1
                        steps.append(Step(selectors: [], wildcard: true))
                        continue
                    }
                    let name = identifier()
                    guard !name.isEmpty else { throw invalid("a member name must follow '.'") }
                    steps.append(Step(selectors: [.name(name)]))
                case "[":
                    position += 1
                    steps.append(try bracket())
                default:
                    throw invalid("unexpected '\(text[position])' at position \(position + 1)")
                }
            }
            return steps
        }

        private mutating func bracket() throws -> Step {
            skipSpaces()
            if peek("*") {
                position += 1
                skipSpaces()
                try expect("]")
                return Step(selectors: [], wildcard: true)
            }
            var selectors: [Selector] = []
            while true {
                skipSpaces()
                selectors.append(try selector())
                skipSpaces()
                if peek(",") {
                    position += 1
                    continue
                }
                try expect("]")
                return Step(selectors: selectors)
            }
        }

        private mutating func selector() throws -> Selector {
            if peek("'") || peek("\"") {
                let quote = text[position]
                position += 1
                var name = ""
                while position < text.count, text[position] != quote {
                    name.unicodeScalars.append(text[position])
                    position += 1
                }
                try expect(quote)
                return .name(name)
            }
            let start = try integer()
            skipSpaces()
            guard peek(":") else {
                guard let start else { throw invalid("expected an index, a slice or a quoted name at position \(position + 1)") }
                return .index(start)
            }
            position += 1
            skipSpaces()
            return .slice(start, try integer())
        }

        private mutating func integer() throws -> Int? {
            var digits = ""
            if peek("-") {
                digits = "-"
                position += 1
            }
            while position < text.count, ("0"..."9").contains(text[position]) {
                digits.unicodeScalars.append(text[position])
                position += 1
            }
            if digits.isEmpty { return nil }
            guard let value = Int(digits) else { throw invalid("'\(digits)' is not an index") }
            return value
        }

        private mutating func identifier() -> String {
            var name = ""
            while position < text.count, text[position] != ".", text[position] != "[" {
                name.unicodeScalars.append(text[position])
                position += 1
            }
            return name
        }

        private func peek(_ scalar: Unicode.Scalar) -> Bool { position < text.count && text[position] == scalar }

        private mutating func skipSpaces() {
            while position < text.count, text[position] == " " { position += 1 }
        }

        private mutating func expect(_ scalar: Unicode.Scalar) throws {
            guard peek(scalar) else { throw invalid("expected '\(scalar)' at position \(position + 1)") }
            position += 1
        }

        private func invalid(_ why: String) -> OspreyError {
            OspreyError(
                .validation,
                "\(field) '\(source)' is not a JSONPath Osprey supports (\(why)); use $, $.name, $['a','b'], $[i], $[i:j] or unions like $[0,2:].")
        }
    }
}
