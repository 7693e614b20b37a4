import Foundation
import OspreyCore
import OspreySigV4
import Testing

/// Requests signed by `SigV4Signer` and checked by `SigV4Verifier`, and how each kind of tampering fails.
struct RoundTripTests {
    static let accessKeyId = "OSPREYTESTKEY"
    static let secret = "osprey/secret+key"
    static let date = AmzDate.parseTimestamp("20250102T030405Z")!

    let verifier = SigV4Verifier { $0 == RoundTripTests.accessKeyId ? RoundTripTests.secret : nil }
    let signer = SigV4Signer(accessKeyId: accessKeyId, secretAccessKey: secret, region: "osprey-1", service: "s3")

    /// A PUT signed for `service` (`s3` by default), as the request the server receives.
    func signedPut(
        signer: SigV4Signer? = nil, body: String = "hello", extraHeaders: [(name: String, value: String)] = [], query: String? = "uploads"
    ) -> SigV4Request {
        let signer = signer ?? self.signer
        let headers = [("Content-Type", "text/plain"), ("x-amz-meta-color", "blue  green")] + extraHeaders
        let added = signer.sign(
            method: "PUT", scheme: "http", host: "127.0.0.1:9000", rawPath: "/bucket/a%20key/%E2%9C%93", rawQuery: query,
            headers: headers, payloadSHA256Hex: SHA256Hex.of(body), date: Self.date)
        return SigV4Request(
            method: "PUT", rawPath: "/bucket/a%20key/%E2%9C%93", rawQuery: query,
            headers: [("Host", "127.0.0.1:9000"), ("User-Agent", "test")] + headers + added)
    }

    @Test func signedRequestVerifies() async throws {
        let verified = try await verifier.verify(signedPut(), service: "s3", uriMode: .s3, now: Self.date)
        #expect(verified.accessKeyId == Self.accessKeyId)
        #expect(verified.scope == CredentialScope(date: "20250102", region: "osprey-1", service: "s3"))
        #expect(verified.payload == .sha256(SHA256Hex.of("hello")))
        #expect(!verified.isPresigned)
        try verified.checkBody(sha256Hex: SHA256Hex.of("hello"))
        expectErrorSync(.xAmzContentSHA256Mismatch) { try verified.checkBody(sha256Hex: SHA256Hex.of("hellO")) }
    }

    @Test func headerCaseAndWhitespaceDoNotMatter() async throws {
        var request = signedPut()
        request.headers = request.headers.map { header in
            header.name == "x-amz-meta-color" ? ("X-AMZ-META-COLOR", "  blue green ") : header
        }
        _ = try await verifier.verify(request, service: "s3", uriMode: .s3, now: Self.date)
    }

    @Test func tamperedRequestsFail() async {
        let original = signedPut()
        var header = original
        header.headers = header.headers.map { $0.name == "Content-Type" ? ($0.name, "text/html") : $0 }
        var path = original
        path.rawPath = "/bucket/other"
        var query = original
        query.rawQuery = "uploads&x=1"
        var method = original
        method.method = "POST"
        var added = original
        added.headers.append(("x-amz-meta-color", "red"))
        for request in [header, path, query, method, added] {
            await expectError(.signatureDoesNotMatch) { _ = try await verifier.verify(request, service: "s3", uriMode: .s3, now: Self.date) }
        }
    }

    @Test func wrongSecretUnknownKeyAndWrongService() async {
        let wrongSecret = SigV4Signer(accessKeyId: Self.accessKeyId, secretAccessKey: "nope", region: "osprey-1", service: "s3")
        await expectError(.signatureDoesNotMatch) {
            _ = try await verifier.verify(signedPut(signer: wrongSecret), service: "s3", uriMode: .s3, now: Self.date)
        }
        let error = await expectError(.invalidAccessKeyId) {
            let unknown = SigV4Signer(accessKeyId: "UNKNOWN", secretAccessKey: Self.secret, region: "osprey-1", service: "s3")
            _ = try await verifier.verify(signedPut(signer: unknown), service: "s3", uriMode: .s3, now: Self.date)
        }
        #expect(error?.message == "The AWS Access Key Id you provided does not exist in our records.")
        let service = await expectError(.signatureDoesNotMatch) {
            _ = try await verifier.verify(signedPut(), service: "sagemaker", uriMode: .s3, now: Self.date)
        }
        #expect(service?.message.contains("'sagemaker'") == true)
    }

    @Test func clockSkew() async throws {
        let request = signedPut()
        for offset in [-900.0, 0, 900] {
            _ = try await verifier.verify(request, service: "s3", uriMode: .s3, now: Self.date.addingTimeInterval(offset))
        }
        for offset in [-901.0, 901, 86400] {
            await expectError(.requestTimeTooSkewed) {
                _ = try await verifier.verify(request, service: "s3", uriMode: .s3, now: Self.date.addingTimeInterval(offset))
            }
        }
    }

    @Test func presignedURLs() async throws {
        let url = signer.presign(
            method: "GET", scheme: "http", host: "127.0.0.1:80", rawPath: "/bucket/key%2Bplus", rawQuery: "versionId=3",
            expires: 3600, date: Self.date)
        #expect(url.hasPrefix("http://127.0.0.1:80/bucket/key%2Bplus?versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
        let (path, query) = pathAndQuery(of: url)
        let request = SigV4Request(method: "GET", rawPath: path, rawQuery: query, headers: [("host", "127.0.0.1")])
        let verified = try await verifier.verify(request, service: "s3", uriMode: .s3, now: Self.date.addingTimeInterval(3600))
        #expect(verified.isPresigned)
        #expect(verified.payload == .unsignedPayload)
        try verified.checkBody(sha256Hex: SHA256Hex.of("anything"))

        await expectError(.accessDenied) {
            _ = try await verifier.verify(request, service: "s3", uriMode: .s3, now: Self.date.addingTimeInterval(3601))
        }
        await expectError(.requestTimeTooSkewed) {
            _ = try await verifier.verify(request, service: "s3", uriMode: .s3, now: Self.date.addingTimeInterval(-901))
        }
        var tampered = request
        tampered.rawQuery = query!.replacingOccurrences(of: "versionId=3", with: "versionId=4")
        await expectError(.signatureDoesNotMatch) {
            _ = try await verifier.verify(tampered, service: "s3", uriMode: .s3, now: Self.date)
        }
        var both = request
        both.headers.append(("Authorization", "AWS4-HMAC-SHA256 Credential=x"))
        await expectError(.invalidArgument) { _ = try await verifier.verify(both, service: "s3", uriMode: .s3, now: Self.date) }

        let tooLong = signer.presign(
            method: "GET", scheme: "http", host: "h", rawPath: "/b/k", rawQuery: nil, expires: 604_801, date: Self.date)
        let (longPath, longQuery) = pathAndQuery(of: tooLong)
        await expectError(.invalidArgument) {
            _ = try await verifier.verify(
                SigV4Request(method: "GET", rawPath: longPath, rawQuery: longQuery, headers: [("Host", "h")]), service: "s3", uriMode: .s3,
                now: Self.date)
        }
    }

    @Test func presignedURLWithSignedHeader() async throws {
        let url = signer.presign(
            method: "PUT", scheme: "https", host: "example.com:443", rawPath: "/b/k", rawQuery: nil,
            headers: [("x-amz-acl", "private")], expires: 60, date: Self.date)
        let (path, query) = pathAndQuery(of: url)
        let request = SigV4Request(method: "PUT", rawPath: path, rawQuery: query, headers: [("Host", "example.com"), ("x-amz-acl", "private")])
        _ = try await verifier.verify(request, service: "s3", uriMode: .s3, now: Self.date)
        var changed = request
        changed.headers[1].value = "public-read"
        await expectError(.signatureDoesNotMatch) { _ = try await verifier.verify(changed, service: "s3", uriMode: .s3, now: Self.date) }
    }

    @Test func standardServiceDoubleEncodesAndNormalisesThePath() async throws {
        let sagemaker = SigV4Signer(accessKeyId: Self.accessKeyId, secretAccessKey: Self.secret, region: "us-west-2", service: "sagemaker")
        #expect(sagemaker.uriMode == .standard)
        let added = sagemaker.sign(
            method: "POST", scheme: "http", host: "localhost:8080", rawPath: "/endpoints/a%20b/../c/invocations", rawQuery: nil,
            headers: [("X-Amz-Target", "SageMaker.ListModels")], payloadSHA256Hex: SHA256Hex.of("{}"), date: Self.date)
        let request = SigV4Request(
            method: "POST", rawPath: "/endpoints/a%20b/../c/invocations", rawQuery: nil,
            headers: [("Host", "localhost:8080"), ("X-Amz-Target", "SageMaker.ListModels")] + added)
        _ = try await verifier.verify(request, service: "sagemaker", uriMode: .standard, now: Self.date)
        await expectError(.signatureDoesNotMatch) {
            _ = try await verifier.verify(request, service: "sagemaker", uriMode: .s3, now: Self.date)
        }
        #expect(CanonicalURI.make(rawPath: "/endpoints/a%20b/../c/invocations", mode: .standard) == "/endpoints/c/invocations")
        #expect(CanonicalURI.make(rawPath: "/a%20b//c/./", mode: .standard) == "/a%2520b/c/")
        #expect(CanonicalURI.make(rawPath: "", mode: .standard) == "/")
        #expect(CanonicalURI.make(rawPath: "", mode: .s3) == "/")
        #expect(CanonicalURI.make(rawPath: "/a//./../b", mode: .s3) == "/a//./../b")
    }

    @Test func dateHeaderFallbackAndBodyHashRequired() async throws {
        let headers = [("Host", "example.com"), ("Date", "Thu, 02 Jan 2025 03:04:05 GMT"), ("Content-Type", "application/json")]
        let scope = CredentialScope(date: "20250102", region: "eu-west-1", service: "sagemaker")
        let body = #"{"MaxResults":1}"#
        let canonical = CanonicalRequest(
            method: "POST", rawPath: "/", rawQuery: nil, uriMode: .standard, headers: headers,
            signedHeaders: ["content-type", "date", "host"], payloadHash: SHA256Hex.of(body))
        let signature = SigningKey(secret: Self.secret, scope: scope).signature(
            for: StringToSign.request(timestamp: "20250102T030405Z", scope: scope, canonicalRequestHash: canonical.hash))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(Self.accessKeyId)/\(scope), SignedHeaders=content-type;date;host, Signature=\(signature)"
        let request = SigV4Request(method: "POST", rawPath: "/", rawQuery: nil, headers: headers + [("Authorization", authorization)])
        let verified = try await verifier.verify(request, service: "sagemaker", uriMode: .standard, now: Self.date)
        #expect(verified.payload == .bodyHashRequired)
        #expect(verified.timestamp == "20250102T030405Z")
        try verified.checkBody(sha256Hex: SHA256Hex.of(body))
        expectErrorSync(.signatureDoesNotMatch) { try verified.checkBody(sha256Hex: SHA256Hex.of(body + " ")) }
    }

    @Test func malformedAndMissingCredentials() async {
        func request(_ authorization: String?, extra: [(name: String, value: String)] = []) -> SigV4Request {
            SigV4Request(
                method: "GET", rawPath: "/", rawQuery: nil,
                headers: [("Host", "h"), ("X-Amz-Date", "20250102T030405Z"), ("x-amz-content-sha256", SHA256Hex.empty)]
                    + (authorization.map { [("Authorization", $0)] } ?? []) + extra)
        }
        let credential = "Credential=\(Self.accessKeyId)/20250102/r/s3/aws4_request"
        let signature = "Signature=" + String(repeating: "0", count: 64)
        let cases: [(String?, OspreyError.Code)] = [
            (nil, .unauthenticated),
            ("AWS \(Self.accessKeyId):c2lnbmF0dXJl", .invalidArgument),
            ("AWS4-HMAC-SHA256 \(credential), \(signature)", .incompleteSignature),
            ("AWS4-HMAC-SHA256 \(credential), SignedHeaders=host;x-amz-date", .incompleteSignature),
            ("AWS4-HMAC-SHA256 Credential=\(Self.accessKeyId)/20250102/r/s3, SignedHeaders=host, \(signature)", .incompleteSignature),
            ("AWS4-HMAC-SHA256 Credential=\(Self.accessKeyId)/20250102/r/s3/aws5_request, SignedHeaders=host, \(signature)", .incompleteSignature),
            ("AWS4-HMAC-SHA256 Credential=\(Self.accessKeyId)/20250103/r/s3/aws4_request, SignedHeaders=host, \(signature)", .signatureDoesNotMatch),
            ("AWS4-HMAC-SHA256 \(credential), SignedHeaders=x-amz-date;x-amz-content-sha256, \(signature)", .accessDenied),
            ("AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, \(signature)", .accessDenied),  // x-amz-* headers not signed
            ("AWS4-HMAC-SHA256 \(credential), SignedHeaders=host;x-amz-content-sha256;x-amz-date, \(signature)", .signatureDoesNotMatch),
        ]
        for (authorization, code) in cases {
            await expectError(code) { _ = try await verifier.verify(request(authorization), service: "s3", uriMode: .s3, now: Self.date) }
        }
        let valid = "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host;x-amz-content-sha256;x-amz-date, \(signature)"
        await expectError(.invalidArgument) {
            _ = try await verifier.verify(request(valid, extra: [("Authorization", valid)]), service: "s3", uriMode: .s3, now: Self.date)
        }
        var badPayload = request(valid)
        badPayload.headers[2].value = "not-a-hash"
        await expectError(.invalidArgument) { _ = try await verifier.verify(badPayload, service: "s3", uriMode: .s3, now: Self.date) }
        var noDate = request(valid)
        noDate.headers.remove(at: 1)
        await expectError(.accessDenied) { _ = try await verifier.verify(noDate, service: "s3", uriMode: .s3, now: Self.date) }
        #expect(!request(nil).hasCredentials)
        #expect(request(valid).hasCredentials)
    }

    @Test func streamingUploadEndToEnd() async throws {
        let payload = Array(repeating: Array("osprey ".utf8), count: 20_000).flatMap { $0 }
        let added = signer.sign(
            method: "PUT", scheme: "http", host: "127.0.0.1:9000", rawPath: "/bucket/big", rawQuery: nil,
            headers: [("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", String(payload.count))],
            payloadSHA256Hex: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", date: Self.date)
        let request = SigV4Request(
            method: "PUT", rawPath: "/bucket/big", rawQuery: nil,
            headers: [("Host", "127.0.0.1:9000"), ("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", String(payload.count))]
                + added)
        let verified = try await verifier.verify(request, service: "s3", uriMode: .s3, now: Self.date)
        #expect(verified.payload == .streamingSigned)
        let body = ChunkedBodies.make(payload, chunkSize: 65536, context: try #require(verified.chunkSigning))
        var decoder = try AWSChunkedDecoder(verified: verified, decodedLength: Int64(payload.count))
        var received = [UInt8]()
        try body.withUnsafeBytes { bytes in
            for start in stride(from: 0, to: bytes.count, by: 1500) {
                try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + 1500, bytes.count)])) { received += $0 }
            }
        }
        _ = try decoder.finish()
        #expect(received == payload)
    }

    @Test func signingKeyCacheIsBounded() {
        let cache = SigningKeyCache(limit: 3)
        let scope = CredentialScope(date: "20250102", region: "r", service: "s3")
        let first = cache.key(secret: "a", scope: scope)
        #expect(cache.key(secret: "a", scope: scope).bytes == first.bytes)
        #expect(cache.count == 1)
        for secret in ["b", "c", "d", "e"] { _ = cache.key(secret: secret, scope: scope) }
        #expect(cache.count <= 3)
        #expect(cache.key(secret: "a", scope: scope).bytes == SigningKey(secret: "a", scope: scope).bytes)
        #expect(cache.key(secret: "b", scope: scope).bytes != first.bytes)
    }
}
