import Foundation
import HTTPTypes
import Hummingbird
import OspreyCore
import OspreyServices

/// Osprey's own REST API under `/api/v1`, described by `openapi.json` beside this file. Errors are RFC 9457 problem JSON.
struct NativeAPI: Sendable {
    let keys: AccessKeyService
    let events: EventService
    let webhooks: WebhookService
    let secrets: SecretService
    let training: TrainingService
    let images: ImageService
    let metrics: TrainingMetricsService

    func handle(_ request: Request, _ auth: AuthenticatedRequest) async throws -> Response {
        let path = request.uri.path
        let principal = auth.principal
        switch (request.method, path) {
        case (.get, "/api/v1/images"):
            return try await listImages()
        case (.post, "/api/v1/images"):
            return try await addImage(auth)
        case (.delete, _) where path.hasPrefix(Self.imagesPrefix):
            return try await removeImage(auth, path: path)
        case (.get, _) where Self.isTrainingMetricsPath(path):
            return try await trainingMetrics(request, path: path, accountId: principal.accountId)
        case (.post, _) where Self.isInterruptPath(path):
            return try await interruptTrainingJob(path: path, accountId: principal.accountId)
        case (.get, "/api/v1/whoami"):
            return try Self.json(["accessKeyId": principal.accessKeyId, "accountId": principal.accountId, "admin": principal.isAdmin])
        case (.get, "/api/v1/keys"):
            let keys = try await keys.list(accountId: principal.accountId)
            return try Self.json(["keys": keys.map(Self.describe)])
        case (.post, "/api/v1/keys"):
            try requireAdmin(principal)
            let body = try await auth.collectBody(limit: 64 << 10)
            let input = body.isEmpty ? [:] : (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
            guard let input else { throw OspreyError(.validation, "The body must be a JSON object like {\"description\": \"ci\"}.") }
            let key = try await keys.create(
                accountId: principal.accountId, isAdmin: input["admin"] as? Bool ?? false, description: input["description"] as? String ?? ""
            )
            var described = Self.describe(key)
            described["secretAccessKey"] = key.secret
            return try Self.json(described, status: .created)
        case (.delete, _) where path.hasPrefix("/api/v1/keys/"):
            try requireAdmin(principal)
            let id = String(path.dropFirst("/api/v1/keys/".count))
            guard id != principal.accessKeyId else {
                throw OspreyError(.validation, "A key cannot delete itself; use another admin key.")
            }
            try await keys.delete(id: id, accountId: principal.accountId)
            return Response(status: .noContent)
        case (.get, "/api/v1/events"):
            return try await eventStream(request, accountId: principal.accountId)
        case (.get, "/api/v1/webhooks"):
            return try Self.json(["webhooks": try await webhooks.list(accountId: principal.accountId).map(Self.describe)])
        case (.post, "/api/v1/webhooks"):
            return try await createWebhook(auth)
        case (.delete, _) where path.hasPrefix("/api/v1/webhooks/"):
            try await webhooks.delete(id: String(path.dropFirst("/api/v1/webhooks/".count)), accountId: principal.accountId)
            return Response(status: .noContent)
        case (.get, "/api/v1/secrets"):
            return try Self.json(["secrets": try await secrets.list(accountId: principal.accountId).map(Self.describe)])
        case (.put, _) where path.hasPrefix(Self.secretsPrefix):
            return try await putSecret(auth, name: Self.secretName(path))
        case (.delete, _) where path.hasPrefix(Self.secretsPrefix):
            try await secrets.delete(accountId: principal.accountId, name: Self.secretName(path))
            return Response(status: .noContent)
        default:
            throw OspreyError(.notFound, "No such API resource: \(request.method) \(path). See /api/v1/openapi.json.")
        }
    }

    private func requireAdmin(_ principal: Principal) throws {
        guard principal.isAdmin else { throw OspreyError(.accessDenied, "Only an admin key may manage keys.") }
    }

    static func describe(_ key: AccessKey) -> [String: Any] {
        ["accessKeyId": key.id, "accountId": key.accountId, "admin": key.isAdmin, "description": key.description,
         "createdAt": ISO8601DateFormatter().string(from: key.createdAt)]
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The OpenAPI document, served at `/api/v1/openapi.json`.
    static let openAPIDocument: ByteBuffer = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            return ByteBuffer(string: "{}")
        }
        return ByteBuffer(bytes: data)
    }()

    /// An RFC 9457 problem document for an error.
    static func problem(_ error: OspreyError, status: HTTPResponse.Status, requestId: String) -> Response {
        let message = error.code == .internalError ? "An internal error occurred." : error.message
        let object: [String: Any] = [
            "type": "https://osprey.dev/problems/\(error.code.rawValue)", "title": error.code.rawValue, "status": Int(status.code),
            "detail": message, "requestId": requestId,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="osprey", Basic realm="osprey""# }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func status(of code: OspreyError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound: return .notFound
        case .alreadyExists: return .conflict
        case .accessDenied: return .forbidden
        case .unauthenticated, .invalidAccessKeyId, .signatureDoesNotMatch, .unrecognizedClient, .requestTimeTooSkewed, .incompleteSignature:
            return .unauthorized
        case .entityTooLarge: return .contentTooLarge
        case .internalError: return .internalServerError
        case .unavailable: return .serviceUnavailable
        default: return .badRequest
        }
    }
}
