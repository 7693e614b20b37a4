import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OspreyCore

/// Calls an AWS JSON 1.1 API of an Osprey server (`X-Amz-Target`) with a bearer token; `__type` errors become `OspreyError`s.
struct AWSJSONClient {
    let endpoint: String
    let secret: String

    func call(_ target: String, _ input: JSONValue) async throws -> JSONValue {
        var request = HTTPClientRequest(url: endpoint + "/")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        request.headers.add(name: "X-Amz-Target", value: target)
        request.headers.add(name: "Content-Type", value: "application/x-amz-json-1.1")
        request.body = .bytes(ByteBuffer(string: input.text))
        let response: HTTPClientResponse
        do {
            response = try await CLIHTTP.client.execute(request, timeout: .seconds(60))
        } catch {
            throw OspreyError(.unavailable, "Cannot reach \(endpoint): \(error)")
        }
        let body = try await response.body.collect(upTo: 16 << 20)
        let output = try JSONValue.parse(Array(body.readableBytesView))
        guard response.status.code == 200 else {
            let type = output["__type"]?.stringValue ?? "HTTP\(response.status.code)"
            throw OspreyError(OspreyError.Code(rawValue: type), output["message"]?.stringValue ?? "The server answered \(response.status).")
        }
        return output
    }
}
