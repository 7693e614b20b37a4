import Foundation
import OspreyCore

/// A JSON value that tells integers from other numbers, as the Open Inference Protocol's datatypes need.
indirect enum V2JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([V2JSON])
    case object([String: V2JSON])

    /// Parses any JSON text (also a bare scalar); throws `.validation` when it is not JSON.
    static func parse(_ bytes: [UInt8]) throws -> V2JSON {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw OspreyError(.validation, "The body is not valid JSON.", cause: error)
        }
        return V2JSON(parsed)
    }

    private init(_ value: Any) {
        switch value {
        case let text as String: self = .string(text)
        case let number as NSNumber:
            // JSONSerialization marks booleans `c`, integer literals `i`/`q`, other numbers `d`.
            switch String(cString: number.objCType) {
            case "c", "B": self = .bool(number.boolValue)
            case "d", "f": self = .double(number.doubleValue)
            default: self = .int(number.int64Value)
            }
        case let list as [Any]: self = .array(list.map(V2JSON.init))
        case let members as [String: Any]: self = .object(members.mapValues(V2JSON.init))
        default: self = .null
        }
    }

    /// Compact JSON text; object keys sorted.
    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value): out += value.isFinite ? String(value) : "null"
        case .string(let value): out += JSONValue.string(value).text
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                out += JSONValue.string(key).text + ":"
                members[key]!.write(into: &out)
            }
            out += "}"
        }
    }

    subscript(key: String) -> V2JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }
}

/// The Open Inference Protocol's JSON tensors to and from a model's `application/json` bodies.
enum V2Tensors {
    /// What an inference request asks for.
    struct Request: Equatable {
        var id: String?
        /// The first input tensor's data, shaped: the model's request body.
        var body: V2JSON
        /// The names of `outputs`, when the request lists them.
        var outputs: [String]?
    }

    /// Reads `{"id"?, "inputs": [{"name", "shape", "datatype", "data"}], "outputs"?, "parameters"?}`.
    static func request(_ json: V2JSON) throws -> Request {
        guard case .object = json else { throw OspreyError(.validation, "The inference request must be a JSON object.") }
        guard case .array(let inputs)? = json["inputs"], let first = inputs.first else {
            throw OspreyError(.validation, "The inference request needs \"inputs\": a non-empty list of tensors.")
        }
        for (index, input) in inputs.enumerated() { try checkTensor(input, index: index) }
        var id: String?
        switch json["id"] {
        case .string(let given)?: id = given
        case nil, .null?: id = nil
        default: throw OspreyError(.validation, "\"id\" must be a string.")
        }
        var outputs: [String]?
        if let requested = json["outputs"], requested != .null {
            guard case .array(let list) = requested else { throw OspreyError(.validation, "\"outputs\" must be a list of {\"name\"}.") }
            outputs = try list.map { entry in
                guard case .string(let name)? = entry["name"] else { throw OspreyError(.validation, "Each of \"outputs\" needs a \"name\".") }
                return name
            }
        }
        let shape = try dimensions(first["shape"], name: first.name)
        return Request(id: id, body: try reshape(first["data"]!, to: shape, name: first.name), outputs: outputs)
    }

    private static func checkTensor(_ input: V2JSON, index: Int) throws {
        guard case .object = input, case .string(let name)? = input["name"], !name.isEmpty else {
            throw OspreyError(.validation, "inputs[\(index)] needs a \"name\".")
        }
        guard case .string? = input["datatype"] else { throw OspreyError(.validation, "Input '\(name)' needs a \"datatype\".") }
        _ = try dimensions(input["shape"], name: name)
        guard let data = input["data"], data != .null else {
            throw OspreyError(
                .validation, "Input '\(name)' has no \"data\" (Osprey does not implement the binary tensor data extension).")
        }
    }

    private static func dimensions(_ value: V2JSON?, name: String) throws -> [Int] {
        guard case .array(let list)? = value else { throw OspreyError(.validation, "Input '\(name)' needs a \"shape\": a list of integers.") }
        return try list.map { entry in
            guard case .int(let size) = entry, size >= 0 else {
                throw OspreyError(.validation, "Input '\(name)' has a shape that is not a list of non-negative integers.")
            }
            return Int(size)
        }
    }

    /// Nests flat `data` into `shape` (row-major) when the shape has more than one dimension; other data is kept as given.
    static func reshape(_ data: V2JSON, to shape: [Int], name: String) throws -> V2JSON {
        guard shape.count > 1, case .array(let flat) = data, flat.allSatisfy(\.isScalar) else { return data }
        let count = shape.reduce(1, *)
        guard count == flat.count else {
            throw OspreyError(.validation, "Input '\(name)' has \(flat.count) elements; its shape \(shape) needs \(count).")
        }
        func nest(_ values: ArraySlice<V2JSON>, _ dims: ArraySlice<Int>) -> V2JSON {
            guard let size = dims.first, dims.count > 1 else { return .array(Array(values)) }
            let stride = values.count / max(size, 1)
            return .array(
                (0..<size).map { index in
                    let start = values.startIndex + index * stride
                    return nest(values[start..<start + stride], dims.dropFirst())
                })
        }
        return nest(flat[...], shape[...])
    }

    /// The model's answer as output tensors: a JSON object gives one tensor per key (sorted), anything else `output-0`.
    static func outputs(_ result: V2JSON) -> [V2JSON] {
        if case .object(let members) = result, !members.isEmpty {
            return members.keys.sorted().map { tensor(name: $0, members[$0]!) }
        }
        return [tensor(name: "output-0", result)]
    }

    /// `{"name", "shape", "datatype", "data"}` with the shape of a regular nested list (a scalar is shape [1]) and the data
    /// flattened; a ragged list, or elements that are lists or objects, becomes BYTES holding each element's JSON text.
    static func tensor(name: String, _ value: V2JSON) -> V2JSON {
        var shape: [Int] = []
        var flat: [V2JSON] = []
        if let regular = regularShape(value) {
            shape = regular.isEmpty ? [1] : regular
            flatten(value, into: &flat)
        } else if case .array(let list) = value {
            shape = [list.count]
            flat = list
        } else {
            shape = [1]
            flat = [value]
        }
        let (datatype, data) = typed(flat)
        return .object([
            "name": .string(name), "shape": .array(shape.map { .int(Int64($0)) }), "datatype": .string(datatype), "data": .array(data),
        ])
    }

    /// The dimensions of a list whose nested lists all have the same shape and whose leaves are scalars; [] for a scalar.
    private static func regularShape(_ value: V2JSON) -> [Int]? {
        switch value {
        case .object: return nil
        case .array(let list):
            guard let first = list.first else { return [0] }
            guard let inner = regularShape(first) else { return nil }
            for element in list.dropFirst() where regularShape(element) != inner { return nil }
            return [list.count] + inner
        default: return []
        }
    }

    private static func flatten(_ value: V2JSON, into out: inout [V2JSON]) {
        if case .array(let list) = value {
            for element in list { flatten(element, into: &out) }
        } else {
            out.append(value)
        }
    }

    /// BOOL when every element is a boolean, INT64 when every one is an integer, FP64 for numbers, else BYTES (strings as
    /// they are, anything else as its JSON text).
    private static func typed(_ flat: [V2JSON]) -> (String, [V2JSON]) {
        if flat.isEmpty { return ("FP64", []) }
        if flat.allSatisfy({ if case .bool = $0 { true } else { false } }) { return ("BOOL", flat) }
        if flat.allSatisfy({ if case .int = $0 { true } else { false } }) { return ("INT64", flat) }
        let numbers = flat.compactMap { element -> V2JSON? in
            switch element {
            case .int(let value): return .double(Double(value))
            case .double: return element
            default: return nil
            }
        }
        if numbers.count == flat.count { return ("FP64", numbers) }
        return (
            "BYTES",
            flat.map { element in
                if case .string = element { return element }
                return .string(element.text)
            }
        )
    }
}

extension V2JSON {
    /// A tensor's `name` member, for messages.
    fileprivate var name: String {
        if case .string(let name)? = self["name"] { return name }
        return ""
    }
}
