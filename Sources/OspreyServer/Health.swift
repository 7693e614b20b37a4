import HTTPTypes
import Hummingbird
import OspreyCore

/// `GET /healthz` (the process takes requests) and `GET /readyz` (and its metadata store answers).
struct Health: Sendable {
    let store: any StoreHealth

    func respond(to request: Request) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            throw OspreyError(.methodNotAllowed, "Use GET.")
        }
        if request.uri.path.hasPrefix("/readyz") {
            do {
                try await store.ping()
            } catch {
                throw OspreyError(.unavailable, "The metadata store does not answer.", cause: error)
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
    }
}
