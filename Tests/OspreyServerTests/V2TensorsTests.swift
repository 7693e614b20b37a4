import Foundation
import OspreyCore
import Testing

@testable import OspreyServer

/// The Open Inference Protocol's JSON tensors: request parsing and reshaping, output tensors and their datatypes, routes.
@Suite struct V2TensorsTests {
    static func json(_ text: String) throws -> V2JSON { try V2JSON.parse(Array(text.utf8)) }

    static func refusal(_ text: String) -> String? {
        do {
            _ = try V2Tensors.request(try json(text))
            return nil
        } catch let error as OspreyError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func parsingKeepsIntegersApartFromOtherNumbers() throws {
        #expect(try Self.json("[1, 1.0, 2.5, true, \"s\", null]") == .array([.int(1), .double(1), .double(2.5), .bool(true), .string("s"), .null]))
        #expect(try Self.json("{\"b\": [1, 2], \"a\": \"x\\n\"}").text == #"{"a":"x\n","b":[1,2]}"#)
        #expect(try Self.json("7") == .int(7))
        #expect(throws: OspreyError.self) { try Self.json("{nope") }
    }

    @Test func flatDataIsShapedRowMajor() throws {
        let request = try V2Tensors.request(
            try Self.json(#"{"id": "r1", "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4.5, 5, 6]}]}"#))
        #expect(request.id == "r1")
        #expect(request.body.text == "[[1,2,3],[4.5,5,6]]")
        #expect(request.outputs == nil)
        let cube = try V2Tensors.reshape(.array((1...8).map { .int($0) }), to: [2, 2, 2], name: "c")
        #expect(cube.text == "[[[1,2],[3,4]],[[5,6],[7,8]]]")
        // One dimension, or data already nested: as given.
        #expect(try V2Tensors.reshape(try Self.json("[1,2]"), to: [2], name: "v").text == "[1,2]")
        #expect(try V2Tensors.reshape(try Self.json("[[1,2]]"), to: [1, 2], name: "v").text == "[[1,2]]")
        #expect(try V2Tensors.reshape(try Self.json("[]"), to: [0, 3], name: "v").text == "[]")
        let named = try V2Tensors.request(
            try Self.json(#"{"inputs": [{"name": "t", "shape": [1], "datatype": "BYTES", "data": ["hi"]}], "outputs": [{"name": "y"}]}"#))
        #expect(named.body.text == #"["hi"]"#)
        #expect(named.outputs == ["y"])
    }

    @Test func badRequestsNameTheirFault() {
        #expect(Self.refusal("[]") == "The inference request must be a JSON object.")
        #expect(Self.refusal(#"{"inputs": []}"#)?.contains("non-empty list") == true)
        #expect(Self.refusal(#"{"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]}"#) == "inputs[0] needs a \"name\".")
        #expect(Self.refusal(#"{"inputs": [{"name": "x", "shape": [1], "data": [1]}]}"#) == "Input 'x' needs a \"datatype\".")
        #expect(Self.refusal(#"{"inputs": [{"name": "x", "shape": [-1], "datatype": "FP32", "data": [1]}]}"#)?.contains("non-negative") == true)
        #expect(Self.refusal(#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]}"#)?.contains("binary tensor data") == true)
        #expect(
            Self.refusal(#"{"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3]}]}"#)
                == "Input 'x' has 3 elements; its shape [2, 2] needs 4.")
        #expect(Self.refusal(#"{"id": 3, "inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}"#) == "\"id\" must be a string.")
    }

    @Test func objectsGiveOneTensorPerKeyWithInferredTypes() throws {
        let outputs = V2Tensors.outputs(
            try Self.json(#"{"y": [[1.5, 2], [3, 4]], "label": "cat", "ok": [true, false], "n": 3, "rows": [[1], [2, 3]], "e": []}"#))
        let text = outputs.map(\.text)
        #expect(
            text == [
                #"{"data":[],"datatype":"FP64","name":"e","shape":[0]}"#,
                #"{"data":["cat"],"datatype":"BYTES","name":"label","shape":[1]}"#,
                #"{"data":[3],"datatype":"INT64","name":"n","shape":[1]}"#,
                #"{"data":[true,false],"datatype":"BOOL","name":"ok","shape":[2]}"#,
                #"{"data":["[1]","[2,3]"],"datatype":"BYTES","name":"rows","shape":[2]}"#,
                #"{"data":[1.5,2.0,3.0,4.0],"datatype":"FP64","name":"y","shape":[2,2]}"#,
            ])
    }

    @Test func anythingElseIsOutputZero() throws {
        #expect(
            V2Tensors.outputs(try Self.json("[[1, 2, 3]]")).map(\.text) == [#"{"data":[1,2,3],"datatype":"INT64","name":"output-0","shape":[1,3]}"#])
        #expect(V2Tensors.outputs(.double(0.25)).map(\.text) == [#"{"data":[0.25],"datatype":"FP64","name":"output-0","shape":[1]}"#])
        #expect(V2Tensors.outputs(.string("a,b")).map(\.text) == [#"{"data":["a,b"],"datatype":"BYTES","name":"output-0","shape":[1]}"#])
        #expect(
            V2Tensors.outputs(try Self.json(#"[{"a": 1}, "x", null]"#)).map(\.text)
                == [#"{"data":["{\"a\":1}","x","null"],"datatype":"BYTES","name":"output-0","shape":[3]}"#])
        #expect(V2Tensors.outputs(.object([:])).map(\.text) == [#"{"data":["{}"],"datatype":"BYTES","name":"output-0","shape":[1]}"#])
    }

    @Test func routes() {
        #expect(V2Handler.route("/v2") == .server)
        #expect(V2Handler.route("/v2/") == .server)
        #expect(V2Handler.route("/v2/health/live") == .live)
        #expect(V2Handler.route("/v2/health/ready") == .ready)
        #expect(V2Handler.route("/v2/models/ep") == .metadata(model: "ep", version: nil))
        #expect(V2Handler.route("/v2/models/ep/versions/blue") == .metadata(model: "ep", version: "blue"))
        #expect(V2Handler.route("/v2/models/ep/ready") == .modelReady(model: "ep", version: nil))
        #expect(V2Handler.route("/v2/models/ep/versions/blue/ready") == .modelReady(model: "ep", version: "blue"))
        #expect(V2Handler.route("/v2/models/ep/infer") == .infer(model: "ep", version: nil))
        #expect(V2Handler.route("/v2/models/ep/versions/blue/infer") == .infer(model: "ep", version: "blue"))
        for unknown in ["/v2/health", "/v2/models", "/v2/models/ep/versions", "/v2/models/ep/explain", "/v2/repository/index", "/v2/models//infer"] {
            #expect(V2Handler.route(unknown) == .unknown, "\(unknown)")
        }
    }
}
