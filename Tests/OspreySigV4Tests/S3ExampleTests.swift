import Foundation
import OspreyCore
import OspreySigV4
import Testing

/// The worked examples of the Amazon S3 API reference ("Signature Calculations for the Authorization Header",
/// "Query String Authentication", "Transferring Payload in Multiple Chunks", "Including Trailing Headers").
struct S3ExampleTests {
    private let signer = SigV4Signer(accessKeyId: S3Docs.accessKeyId, secretAccessKey: S3Docs.secret, region: "us-east-1", service: "s3")

    private func verify(_ method: String, _ path: String, _ query: String?, _ headers: [(name: String, value: String)]) async throws
        -> VerifiedSignature
    {
        try await makeVerifier().verify(
            SigV4Request(method: method, rawPath: path, rawQuery: query, headers: headers), service: "s3", uriMode: .s3,
            now: S3Docs.date)
    }

    @Test func getObjectWithRange() async throws {
        let headers = [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"), ("x-amz-content-sha256", SHA256Hex.empty),
            ("x-amz-date", S3Docs.timestamp),
        ]
        let canonical = CanonicalRequest(
            method: "GET", rawPath: "/test.txt", rawQuery: nil, uriMode: .s3, headers: headers,
            signedHeaders: ["host", "range", "x-amz-content-sha256", "x-amz-date"], payloadHash: SHA256Hex.empty)
        #expect(
            canonical.text == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        #expect(
            StringToSign.request(timestamp: S3Docs.timestamp, scope: S3Docs.scope, canonicalRequestHash: canonical.hash) == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
                """)

        let added = signer.sign(
            method: "GET", scheme: "https", host: "examplebucket.s3.amazonaws.com", rawPath: "/test.txt", rawQuery: nil,
            headers: [("Range", "bytes=0-9")], payloadSHA256Hex: SHA256Hex.empty, date: S3Docs.date)
        let authorization = try #require(added.first { $0.name == "Authorization" }?.value)
        #expect(
            authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")

        // The documentation's own spelling: no spaces after the commas.
        let documented =
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        let verified = try await verify("GET", "/test.txt", nil, headers + [("Authorization", documented)])
        #expect(verified.payload == .sha256(SHA256Hex.empty))
        try verified.checkBody(sha256Hex: SHA256Hex.empty)
        expectErrorSync(.xAmzContentSHA256Mismatch) { try verified.checkBody(sha256Hex: SHA256Hex.of("x")) }
    }

    @Test func putObjectWithDollarInKey() async throws {
        let headers = [
            ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-date", S3Docs.timestamp), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                    + "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
                    + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
            ),
        ]
        let verified = try await verify("PUT", "/test%24file.text", nil, headers)
        try verified.checkBody(sha256Hex: SHA256Hex.of("Welcome to Amazon S3."))
    }

    @Test func getBucketLifecycleAndListObjects() async throws {
        let lifecycle = [
            ("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-date", S3Docs.timestamp), ("x-amz-content-sha256", SHA256Hex.empty),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                    + "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
                    + "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
            ),
        ]
        _ = try await verify("GET", "/", "lifecycle", lifecycle)
        let list = [
            ("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-date", S3Docs.timestamp), ("x-amz-content-sha256", SHA256Hex.empty),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                    + "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
                    + "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
            ),
        ]
        _ = try await verify("GET", "/", "max-keys=2&prefix=J", list)
    }

    @Test func presignedGetObject() async throws {
        let url = signer.presign(
            method: "GET", scheme: "https", host: "examplebucket.s3.amazonaws.com", rawPath: "/test.txt", rawQuery: nil,
            expires: 86400, date: S3Docs.date)
        #expect(
            url == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")

        let (path, query) = pathAndQuery(of: url)
        let request = SigV4Request(method: "GET", rawPath: path, rawQuery: query, headers: [("Host", "examplebucket.s3.amazonaws.com")])
        let verifier = makeVerifier()
        let verified = try await verifier.verify(request, service: "s3", uriMode: .s3, now: S3Docs.date.addingTimeInterval(86400))
        #expect(verified.isPresigned)
        #expect(verified.payload == .unsignedPayload)
        #expect(!verified.needsBodyHash)
        let expired = await expectError(.accessDenied) {
            _ = try await verifier.verify(request, service: "s3", uriMode: .s3, now: S3Docs.date.addingTimeInterval(86401))
        }
        #expect(expired?.message == "Request has expired")
    }

    static let chunkedHeaders: [(name: String, value: String)] = [
        ("Host", "s3.amazonaws.com"), ("x-amz-date", S3Docs.timestamp), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                + "x-amz-decoded-content-length;x-amz-storage-class,"
                + "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
        ),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"), ("Content-Length", "66824"),
    ]

    static let trailerHeaders: [(name: String, value: String)] = [
        ("Host", "s3.amazonaws.com"), ("x-amz-date", S3Docs.timestamp), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                + "SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;"
                + "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,"
                + "Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
        ),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"), ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"), ("x-amz-trailer", "x-amz-checksum-crc32c"), ("Content-Length", "66824"),
    ]

    @Test func chunkedUploadSeedSignature() async throws {
        let verified = try await verify("PUT", "/examplebucket/chunkObject.txt", nil, Self.chunkedHeaders)
        #expect(verified.payload == .streamingSigned)
        let context = try #require(verified.chunkSigning)
        #expect(context.seedSignature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
        #expect(
            context.chunkSignature(previousSignature: context.seedSignature, chunkHash: SHA256Hex.of([UInt8](repeating: 0x61, count: 65536)))
                == "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648")
        expectErrorSync(.invalidRequest) { try verified.checkBody(sha256Hex: SHA256Hex.empty) }
    }

    @Test func chunkedUploadWithTrailerSeedSignature() async throws {
        let verified = try await verify("PUT", "/examplebucket/chunkObject.txt", nil, Self.trailerHeaders)
        #expect(verified.payload == .streamingSignedTrailer)
        #expect(verified.chunkSigning?.seedSignature == "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")
        #expect(
            verified.chunkSigning?.trailerSignature(
                previousSignature: "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
                canonicalTrailers: "x-amz-checksum-crc32c:sOO8/Q==\n")
                == "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435")
    }
}
