import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OspreyCore

/// Calls Osprey's native API (`/api/v1`) with HTTP Basic credentials; problem-JSON errors become `OspreyError`s.
struct NativeClient {
    let endpoint: String
    let keyId: String
    let secret: String

    func call(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil) async throws -> Any? {
        guard let json else { return try await call(method, path, body: nil, contentType: nil) }
        return try await call(method, path, body: [UInt8](try JSONSerialization.data(withJSONObject: json)), contentType: "application/json")
    }

    /// Sends `body` as it is (e.g. a secret's value, `application/octet-stream`); the answer as `call(_:_:json:)` reads it.
    func call(_ method: HTTPMethod, _ path: String, body: [UInt8]?, contentType: String?) async throws -> Any? {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = method
        let token = Data("\(keyId):\(secret)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(token)")
        if let body {
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await CLIHTTP.client.execute(request, timeout: .seconds(30))
        } catch {
            throw OspreyError(.unavailable, "Cannot reach \(endpoint): \(error)")
        }
        let body = try await response.body.collect(upTo: 16 << 20)
        let object = body.readableBytes > 0 ? try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) : nil
        guard (200..<300).contains(response.status.code) else {
            let problem = object as? [String: Any]
            throw OspreyError(
                OspreyError.Code(rawValue: problem?["title"] as? String ?? "HTTP\(response.status.code)"),
                problem?["detail"] as? String ?? "The server answered \(response.status)."
            )
        }
        return object
    }
}

extension ClientOptions {
    /// A native API client for the chosen server and key.
    func nativeClient() throws -> NativeClient {
        let (id, secret) = try credentials()
        return NativeClient(endpoint: resolvedEndpoint, keyId: id, secret: secret)
    }
}
