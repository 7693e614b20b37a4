import AsyncHTTPClient
import Foundation
import NIOCore
import OspreyCore
import OspreySigV4

extension S3Client {
    /// The largest XML answer read into memory (a listing page of 1000 long keys is well under this).
    static let answerLimit = 16 << 20

    /// Signs and sends `call`, returning the response whatever its status, its body not yet read.
    ///
    /// Transport failures become `.unavailable`; if `progress` recorded an error from the caller's body, that error is thrown.
    func send(_ call: S3Call, body: HTTPClientRequest.Body? = nil, progress: BodyProgress? = nil) async throws -> HTTPClientResponse {
        let target = try self.target.get()
        let rawQuery = call.rawQuery
        var request = HTTPClientRequest(url: "\(target)\(call.rawPath)" + (rawQuery.map { "?" + $0 } ?? ""))
        request.method = .init(rawValue: call.method)
        let headers = [(name: "Host", value: Self.hostHeader(target))] + call.headers
        let signed = signer.sign(
            method: call.method, scheme: target.scheme, host: target.authority, rawPath: call.rawPath, rawQuery: rawQuery,
            headers: headers, payloadSHA256Hex: call.payloadHash, date: Date()
        )
        for header in headers + signed { request.headers.add(name: header.name, value: header.value) }
        request.body = body
        do {
            return try await httpClient.execute(request, deadline: .distantFuture)
        } catch {
            throw transportError(error, target: target, progress: progress)
        }
    }

    /// Sends `call` and reads its small answer; a non-2xx answer is thrown as its S3 error.
    func perform(_ call: S3Call, body: [UInt8]? = nil) async throws -> S3Answer {
        var call = call
        var requestBody: HTTPClientRequest.Body?
        if let body {
            call.payloadHash = SHA256Hex.of(body)
            requestBody = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await send(call, body: requestBody)
        let bytes = try await collect(response.body)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw S3ErrorResponse.error(status: Int(response.status.code), body: bytes, method: call.method, path: call.rawPath)
        }
        return S3Answer(response: response, body: bytes)
    }

    /// Reads an answer's body into memory, up to `answerLimit` bytes.
    func collect(_ body: HTTPClientResponse.Body) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = body.makeAsyncIterator()
        while let chunk = try await next(&iterator) {
            guard bytes.count + chunk.readableBytes <= Self.answerLimit else {
                throw OspreyError(.entityTooLarge, "The answer from \(endpoint) is larger than \(Self.answerLimit) bytes.")
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    /// The next chunk of an answer's body, transport failures mapped.
    func next(_ iterator: inout HTTPClientResponse.Body.AsyncIterator) async throws -> ByteBuffer? {
        do {
            return try await iterator.next()
        } catch {
            throw transportError(error, target: try target.get(), progress: nil)
        }
    }

    /// The error to throw for a failure of the HTTP exchange.
    private func transportError(_ error: any Error, target: S3Endpoint, progress: BodyProgress?) -> any Error {
        if let bodyError = progress?.error { return bodyError }
        if error is OspreyError || error is CancellationError { return error }
        if Task.isCancelled { return CancellationError() }
        return S3ErrorResponse.unreachable(target, error)
    }

    /// The `Host` header for `target`: the authority without the scheme's default port.
    static func hostHeader(_ target: S3Endpoint) -> String {
        let defaultPort = target.scheme == "https" ? ":443" : ":80"
        return target.authority.hasSuffix(defaultPort) ? String(target.authority.dropLast(defaultPort.count)) : target.authority
    }
}
