import Foundation

/// The request shapes of an AWS service, as botocore's `service-2.json` defines them (the subset a validator needs).
///
/// Load one with `ShapeModel(json:)` from a file made by `scripts/gen-aws-shapes.py`; check a request with `validate`.
public struct ShapeModel: Sendable {
    public struct Shape: Sendable {
        public enum Kind: String, Sendable {
            case structure, list, map, string, integer, long, float, double, boolean, timestamp, blob
        }
        public var kind: Kind
        /// Member name → shape name, for structures.
        public var members: [String: String] = [:]
        public var required: Set<String> = []
        /// Element shape (lists) or value shape (maps); key shape for maps.
        public var member: String?
        public var key: String?
        public var min: Double?
        public var max: Double?
        public var pattern: String?
        public var enumValues: Set<String>?
    }

    public private(set) var shapes: [String: Shape] = [:]
    /// Operation name → its input shape name.
    public private(set) var inputs: [String: String] = [:]

    /// Reads `{"operations": {"Op": "InputShape"}, "shapes": {...botocore shapes...}}`.
    public init(json bytes: [UInt8]) throws {
        let document = try JSONValue.parse(bytes)
        for (operation, input) in document["operations"]?.objectValue ?? [:] {
            inputs[operation] = input.stringValue
        }
        for (name, definition) in document["shapes"]?.objectValue ?? [:] {
            guard let kind = definition["type"]?.stringValue.flatMap(Shape.Kind.init(rawValue:)) else { continue }
            var shape = Shape(kind: kind)
            for (member, target) in definition["members"]?.objectValue ?? [:] {
                shape.members[member] = target["shape"]?.stringValue
            }
            shape.required = Set((definition["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            shape.member = definition["member"]?["shape"]?.stringValue ?? definition["value"]?["shape"]?.stringValue
            shape.key = definition["key"]?["shape"]?.stringValue
            shape.min = definition["min"]?.numberValue
            shape.max = definition["max"]?.numberValue
            shape.pattern = definition["pattern"]?.stringValue
            shape.enumValues = definition["enum"]?.arrayValue.map { Set($0.compactMap(\.stringValue)) }
            shapes[name] = shape
        }
    }

    /// Checks `request` against the input shape of `operation`, as the service would: unknown members, missing required
    /// members, types, lengths, ranges, enums and patterns. Throws `.validation` with AWS's message form.
    public func validate(_ request: JSONValue, operation: String) throws {
        guard let input = inputs[operation] else {
            throw OspreyError("UnknownOperationException", "Operation \(operation) is not supported.")
        }
        var errors: [String] = []
        check(request, shapeName: input, path: "", errors: &errors)
        guard !errors.isEmpty else { return }
        let count = errors.count == 1 ? "1 validation error detected: " : "\(errors.count) validation errors detected: "
        throw OspreyError(.validation, count + errors.prefix(10).joined(separator: "; "))
    }

    private func check(_ value: JSONValue, shapeName: String, path: String, errors: inout [String]) {
        guard let shape = shapes[shapeName] else { return }
        let at = path.isEmpty ? "" : " at '\(path)'"
        func fail(_ constraint: String) {
            errors.append("Value \(Self.describe(value))\(at) failed to satisfy constraint: \(constraint)")
        }
        if case .null = value { return }
        switch shape.kind {
        case .structure:
            guard case .object(let members) = value else { return fail("Member must be a structure") }
            for name in members.keys.sorted() where shape.members[name] == nil {
                errors.append("Unknown parameter '\(Self.join(path, name))': must be one of: \(shape.members.keys.sorted().joined(separator: ", "))")
            }
            for name in shape.required.sorted() where members[name] == nil || members[name] == .null {
                errors.append("Value null at '\(Self.join(path, name))' failed to satisfy constraint: Member must not be null")
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let target = shape.members[name] { check(member, shapeName: target, path: Self.join(path, name), errors: &errors) }
            }
        case .list:
            guard case .array(let items) = value else { return fail("Member must be a list") }
            checkSize(Double(items.count), shape, fail)
            for (index, item) in items.enumerated() {
                if let element = shape.member { check(item, shapeName: element, path: "\(path).\(index + 1).member", errors: &errors) }
            }
        case .map:
            guard case .object(let entries) = value else { return fail("Member must be a map") }
            checkSize(Double(entries.count), shape, fail)
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
                if let keyShape = shape.key { check(.string(key), shapeName: keyShape, path: "\(path).\(key).key", errors: &errors) }
                if let valueShape = shape.member { check(entry, shapeName: valueShape, path: "\(path).\(key).value", errors: &errors) }
            }
        case .string:
            guard case .string(let text) = value else { return fail("Member must be a string") }
            let length = Double(text.count)
            if let min = shape.min, length < min { fail("Member must have length greater than or equal to \(Int(min))") }
            if let max = shape.max, length > max { fail("Member must have length less than or equal to \(Int(max))") }
            if let allowed = shape.enumValues, !allowed.contains(text) {
                fail("Member must satisfy enum value set: [\(allowed.sorted().joined(separator: ", "))]")
            }
            // botocore's patterns are Java regexes; the few Swift cannot compile are not checked.
            if let pattern = shape.pattern, let regex = try? Regex(pattern), (try? regex.wholeMatch(in: text)) == nil {
                fail("Member must satisfy regular expression pattern: \(pattern)")
            }
        case .integer, .long, .float, .double:
            guard case .number(let number) = value else { return fail("Member must be a number") }
            if (shape.kind == .integer || shape.kind == .long) && number.rounded() != number { return fail("Member must be an integer") }
            if let min = shape.min, number < min { fail("Member must have value greater than or equal to \(Self.format(min))") }
            if let max = shape.max, number > max { fail("Member must have value less than or equal to \(Self.format(max))") }
        case .boolean:
            guard case .bool = value else { return fail("Member must be a boolean") }
        case .timestamp:
            switch value {
            case .number: return
            case .string(let text) where Double(text) != nil || ISO8601DateFormatter().date(from: text) != nil: return
            default: fail("Member must be a timestamp")
            }
        case .blob:
            guard case .string = value else { return fail("Member must be base64-encoded bytes") }
        }
    }

    private func checkSize(_ count: Double, _ shape: Shape, _ fail: (String) -> Void) {
        if let min = shape.min, count < min { fail("Member must have length greater than or equal to \(Int(min))") }
        if let max = shape.max, count > max { fail("Member must have length less than or equal to \(Int(max))") }
    }

    /// AWS names members in messages in lower camel case: `trainingJobName`, `resourceConfig.instanceCount`.
    static func join(_ path: String, _ member: String) -> String {
        let name = member.prefix(1).lowercased() + member.dropFirst()
        return path.isEmpty ? name : path + "." + name
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "'\(text.count > 200 ? String(text.prefix(200)) + "…" : text)'"
        case .number(let number): return "'\(format(number))'"
        case .bool(let flag): return "'\(flag)'"
        case .null: return "null"
        case .array, .object: return "'\(value.text.prefix(200))'"
        }
    }

    static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
