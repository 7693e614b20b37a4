import Foundation
import Hummingbird
import OspreyCore
import OspreyServices

/// `/api/v1/secrets`: the body of a PUT is the value; no answer ever holds one.
extension NativeAPI {
    static let secretsPrefix = "/api/v1/secrets/"

    /// The name in `/api/v1/secrets/{name}` (percent-decoded; names may hold `/`).
    static func secretName(_ path: String) -> String {
        let raw = String(path.dropFirst(secretsPrefix.count))
        return raw.removingPercentEncoding ?? raw
    }

    /// Creates (201) or replaces (200) a secret from the raw body, which must be UTF-8 text of at most 64 KiB.
    func putSecret(_ auth: AuthenticatedRequest, name: String) async throws -> Response {
        try SecretService.validate(name: name)
        let body = try await auth.collectBody(limit: SecretService.maxValueBytes)
        guard let value = String(validating: body, as: UTF8.self) else {
            throw OspreyError(.validation, "The value of secret \(name) must be UTF-8 text.")
        }
        let created = try await secrets.put(accountId: auth.principal.accountId, name: name, value: value)
        return try Self.json(["name": name, "created": created], status: created ? .created : .ok)
    }

    static func describe(_ secret: SecretInfo) -> [String: Any] {
        let format = ISO8601DateFormatter()
        return ["name": secret.name, "createdAt": format.string(from: secret.createdAt), "updatedAt": format.string(from: secret.updatedAt)]
    }
}
