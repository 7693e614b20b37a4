import AsyncHTTPClient
import Foundation
import NIOCore
import OspreyCore
import OspreySigV4

extension S3Client {
    /// Uploads `body` as `bucket`/`key` in one request and returns the new entity tag (without quotes).
    ///
    /// The body is streamed, never buffered whole, and signed as `UNSIGNED-PAYLOAD`. With `length` the request carries a
    /// `Content-Length` (and fails if the body yields a different count); without it the body goes with chunked transfer
    /// encoding, which Osprey and most S3-compatible stores accept but AWS S3 itself refuses (`MissingContentLength`).
    /// If `body` throws, the upload is abandoned, nothing is stored, and that error is rethrown.
    @discardableResult
    public func putObject<Body: AsyncSequence & Sendable>(
        bucket: String, key: String, contentType: String? = nil, length: Int64?, body: Body
    ) async throws -> String where Body.Element == ByteBuffer {
        try await upload(bucket: bucket, key: key, contentType: contentType, length: length, body: body).etag
    }

    /// `putObject` that also reports how many bytes the body produced.
    func upload<Body: AsyncSequence & Sendable>(
        bucket: String, key: String, contentType: String?, length: Int64?, body: Body
    ) async throws -> (etag: String, bytes: Int64) where Body.Element == ByteBuffer {
        var call = S3Call("PUT", bucket: bucket, key: key)
        call.payloadHash = "UNSIGNED-PAYLOAD"
        if let contentType { call.headers.append((name: "Content-Type", value: contentType)) }
        let progress = BodyProgress()
        let observed = ObservedBody(base: body, progress: progress)
        let response = try await send(
            call, body: .stream(observed, length: length.map { .known($0) } ?? .unknown), progress: progress
        )
        let answer = try await collect(response.body)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw S3ErrorResponse.error(status: status, body: answer, method: call.method, path: call.rawPath)
        }
        return (unquotedETag(response.headers.first(name: "ETag") ?? ""), progress.bytes)
    }

    /// Streams `bucket`/`key` (or the bytes of `range` within it) to `consume`, chunk by chunk, in order.
    ///
    /// The next chunk is read from the network only after `consume` returns, so a slow consumer slows the download instead
    /// of filling memory. Throws `NoSuchKey` / `NoSuchBucket`; a range starting at or past the end throws `InvalidRange`.
    /// An empty range reads nothing. Errors thrown by `consume` are rethrown as they are and end the download.
    public func getObject(
        bucket: String, key: String, range: Range<Int64>? = nil, into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        if let range, range.isEmpty { return }
        var call = S3Call("GET", bucket: bucket, key: key)
        if let range {
            let last = range.upperBound == .max ? "" : String(range.upperBound - 1)
            call.headers.append((name: "Range", value: "bytes=\(range.lowerBound)-\(last)"))
        }
        let response = try await send(call)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let answer = try await collect(response.body)
            throw S3ErrorResponse.error(status: status, body: answer, method: call.method, path: call.rawPath)
        }
        // A server that ignores `Range` answers 200 with the whole object: keep only the requested bytes.
        var window = status == 200 ? range : nil
        var offset: Int64 = 0
        var iterator = response.body.makeAsyncIterator()
        while var chunk = try await next(&iterator) {
            if let requested = window {
                let start = offset
                offset += Int64(chunk.readableBytes)
                let lower = max(requested.lowerBound, start)
                let upper = min(requested.upperBound, offset)
                guard lower < upper else {
                    if offset >= requested.upperBound { window = 0..<0 }
                    continue
                }
                chunk = chunk.getSlice(at: chunk.readerIndex + Int(lower - start), length: Int(upper - lower))!
            }
            try await consume(chunk)
        }
    }

    /// What S3 knows about `bucket`/`key`; nil when it does not exist (a missing bucket gives nil too).
    public func headObject(bucket: String, key: String) async throws -> ObjectInfo? {
        let call = S3Call("HEAD", bucket: bucket, key: key)
        let response = try await send(call)
        _ = try await collect(response.body)
        let status = Int(response.status.code)
        if status == 404 { return nil }
        guard (200..<300).contains(status) else {
            throw S3ErrorResponse.error(status: status, body: [], method: call.method, path: call.rawPath)
        }
        let headers = response.headers
        return ObjectInfo(
            key: key, size: headers.first(name: "Content-Length").flatMap { Int64($0) } ?? 0,
            etag: unquotedETag(headers.first(name: "ETag") ?? ""),
            lastModified: headers.first(name: "Last-Modified").flatMap(S3DateParser.rfc1123) ?? Date(timeIntervalSince1970: 0),
            contentType: headers.first(name: "Content-Type")
        )
    }

    /// Deletes `bucket`/`key`; deleting a missing key succeeds, as in S3.
    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await perform(S3Call("DELETE", bucket: bucket, key: key))
    }

    /// Copies `sourceBucket`/`sourceKey` to `bucket`/`key` on the server (no bytes pass through the client).
    ///
    /// Returns the copy's entity tag. Throws `NoSuchKey` when the source does not exist. Content type and user metadata are
    /// copied with the object.
    @discardableResult
    public func copyObject(sourceBucket: String, sourceKey: String, bucket: String, key: String) async throws -> String {
        var call = S3Call("PUT", bucket: bucket, key: key)
        call.headers.append(
            (name: "x-amz-copy-source", value: URIEncoding.encode(sourceBucket) + "/" + URIEncoding.encode(sourceKey, keepSlash: true))
        )
        let answer = try await perform(call)
        // S3 may fail a copy after answering 200: the error then arrives in the body.
        let xml = S3XML(answer.body)
        if xml.rootName == "Error" {
            throw S3ErrorResponse.error(status: 200, body: answer.body, method: call.method, path: call.rawPath)
        }
        return unquotedETag(xml.text("ETag") ?? answer.header("ETag") ?? "")
    }
}
