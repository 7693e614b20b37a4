import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OspreyCore
import OspreyServices
import OspreyServing

/// The Open Inference Protocol V2 (KServe / Triton HTTP/REST) over real-time endpoints: the model is the endpoint, its
/// versions are the endpoint's variants. `/v2/health/*` is open; everything else needs credentials (bearer, basic or
/// SigV4 for service `sagemaker`). Errors are `{"error": "..."}`. The binary tensor data extension is not implemented.
struct V2Handler: Sendable {
    let authenticator: Authenticator
    let runtime: ServingRuntime
    let endpoints: EndpointService

    /// The header of the binary tensor data extension.
    static let binaryHeader = HTTPField.Name("Inference-Header-Content-Length")!

    /// A route: the path's segments after `v2`, parsed.
    enum Route: Equatable {
        case server
        case live
        case ready
        case metadata(model: String, version: String?)
        case modelReady(model: String, version: String?)
        case infer(model: String, version: String?)
        case unknown
    }

    static func route(_ path: String) -> Route {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            String($0).removingPercentEncoding ?? String($0)
        }
        if parts.count > 1, parts.last == "" { parts.removeLast() }
        guard parts.first == "v2" else { return .unknown }
        let rest = Array(parts.dropFirst())
        switch rest.count {
        case 0: return .server
        case 2 where rest[0] == "health": return rest[1] == "live" ? .live : rest[1] == "ready" ? .ready : .unknown
        default: break
        }
        guard rest.count >= 2, rest[0] == "models", !rest[1].isEmpty else { return .unknown }
        let model = rest[1]
        var tail = rest.dropFirst(2)
        var version: String?
        if tail.first == "versions" {
            guard tail.count >= 2, !tail[tail.startIndex + 1].isEmpty else { return .unknown }
            version = tail[tail.startIndex + 1]
            tail = tail.dropFirst(2)
        }
        switch Array(tail) {
        case []: return .metadata(model: model, version: version)
        case ["ready"]: return .modelReady(model: model, version: version)
        case ["infer"]: return .infer(model: model, version: version)
        default: return .unknown
        }
    }

    /// The operation's name, for metrics.
    static func operation(of request: Request) -> String {
        switch route(request.uri.path) {
        case .server: return "V2ServerMetadata"
        case .live, .ready: return "V2Health"
        case .metadata: return "V2ModelMetadata"
        case .modelReady: return "V2ModelReady"
        case .infer: return "V2Infer"
        case .unknown: return "V2Unknown"
        }
    }

    func handle(_ request: Request) async throws -> Response {
        let route = Self.route(request.uri.path)
        switch route {
        case .live, .ready:
            try Self.expect(.get, request)
            return Self.json(.object([route == .live ? "live" : "ready": .bool(true)]))
        case .unknown where !request.uri.path.hasPrefix("/v2/models"):
            throw OspreyError(.notFound, "Osprey's Open Inference Protocol has no route \(request.method) \(request.uri.path).")
        default:
            break
        }
        let auth = try await authenticator.authenticate(request, service: "sagemaker", uriMode: .standard)
        let account = auth.principal.accountId
        switch route {
        case .server:
            try Self.expect(.get, request)
            return Self.json(.object(["name": .string("osprey"), "version": .string("2"), "extensions": .array([])]))
        case .metadata(let model, let version):
            try Self.expect(.get, request)
            let endpoint = try await endpoint(model, version: version, accountId: account)
            let versions = version.map { [$0] } ?? endpoint.variants.map(\.name)
            return Self.json(
                .object([
                    "name": .string(model), "versions": .array(versions.map(V2JSON.string)), "platform": .string("osprey"),
                    "inputs": .array([]), "outputs": .array([]),
                ]))
        case .modelReady(let model, let version):
            try Self.expect(.get, request)
            let endpoint = try await endpoint(model, version: version, accountId: account)
            guard endpoint.status == .inService else {
                throw OspreyError(.validation, "Model \(model) is not ready: its endpoint is \(endpoint.status.rawValue), not InService.")
            }
            return Self.json(.object(["name": .string(model), "ready": .bool(true)]))
        case .infer(let model, let version):
            try Self.expect(.post, request)
            let body = try await RuntimeHandler.collect(auth.body, limit: RuntimeHandler.maxPayload)
            return try await infer(model, version: version, body: body, headers: request.headers, accountId: account)
        default:
            throw OspreyError(.notFound, "Osprey's Open Inference Protocol has no route \(request.method) \(request.uri.path).")
        }
    }

    private func infer(_ model: String, version: String?, body: ByteBuffer, headers: HTTPFields, accountId: String) async throws -> Response {
        guard headers[Self.binaryHeader] == nil else {
            throw OspreyError(
                .validation,
                "Osprey does not implement the binary tensor data extension (Inference-Header-Content-Length): send JSON tensors.")
        }
        let parsed = try V2Tensors.request(try V2JSON.parse(Array(body.readableBytesView)))
        let invocation = InvocationRequest(
            body: ByteBuffer(string: parsed.body.text), contentType: "application/json", accept: "application/json")
        let routed: ServingRuntime.Routed
        do {
            routed = try await runtime.invoke(endpointName: model, accountId: accountId, targetVariant: version, request: invocation)
        } catch let error as OspreyError where error.code == .notFound || (error.code == .validation && version != nil) {
            let endpoint = try await self.endpoint(model, version: version, accountId: accountId)
            guard endpoint.status == .inService else {
                throw OspreyError(.validation, "Model \(model) is not ready: its endpoint is \(endpoint.status.rawValue), not InService.")
            }
            throw error
        }
        let response = routed.response
        guard (200..<300).contains(response.status) else {
            return Self.json(.object(["error": .string(String(buffer: response.body))]), status: .internalServerError)
        }
        let bytes = Array(response.body.readableBytesView)
        let result = (try? V2JSON.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
        var outputs = V2Tensors.outputs(result)
        if let wanted = parsed.outputs {
            let byName = Dictionary(outputs.map { ($0["name"].flatMap(\.stringValue) ?? "", $0) }, uniquingKeysWith: { first, _ in first })
            outputs = try wanted.map { name in
                guard let tensor = byName[name] else {
                    throw OspreyError(
                        .validation, "Model \(model) has no output '\(name)'; it answered \(byName.keys.sorted().joined(separator: ", ")).")
                }
                return tensor
            }
        }
        var answer: [String: V2JSON] = [
            "model_name": .string(model), "model_version": .string(routed.variant), "outputs": .array(outputs),
        ]
        if let id = parsed.id { answer["id"] = .string(id) }
        return Self.json(.object(answer))
    }

    /// The endpoint serving `model`, with `version` among its variants; `.notFound` naming what is missing.
    private func endpoint(_ model: String, version: String?, accountId: String) async throws -> Endpoint {
        let endpoint: Endpoint
        do {
            endpoint = try await endpoints.endpoint(name: model, accountId: accountId)
        } catch let error as OspreyError where error.code == .validation {
            throw OspreyError(.notFound, "Model \(model) not found: there is no endpoint \(model).")
        }
        if let version, !endpoint.variants.contains(where: { $0.name == version }) {
            throw OspreyError(
                .notFound,
                "Version \(version) of model \(model) not found: the endpoint's variants are "
                    + endpoint.variants.map(\.name).joined(separator: ", ") + ".")
        }
        return endpoint
    }

    private static func expect(_ method: HTTPRequest.Method, _ request: Request) throws {
        guard request.method == method else {
            throw OspreyError(.methodNotAllowed, "Use \(method) \(request.uri.path).")
        }
    }

    static func json(_ value: V2JSON, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.text)))
    }

    /// `{"error": message}` with the status the protocol uses: 400 bad input, 401/403 credentials, 404 unknown model or version.
    static func errorResponse(_ error: OspreyError) -> Response {
        let status: HTTPResponse.Status
        switch error.code {
        case .methodNotAllowed: status = .methodNotAllowed
        case .notImplemented: status = .badRequest
        default: status = NativeAPI.status(of: error.code)
        }
        let message = error.code == .internalError ? "Internal error" : error.message
        return json(.object(["error": .string(message)]), status: status)
    }
}

extension V2JSON {
    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
