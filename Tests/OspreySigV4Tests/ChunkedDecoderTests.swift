import Foundation
import OspreyCore
import OspreySigV4
import Testing

/// Builds aws-chunked bodies for the decoder tests.
enum ChunkedBodies {
    static let payloadContext = ChunkSigningContext(
        signingKey: SigningKey(secret: S3Docs.secret, scope: S3Docs.scope), timestamp: S3Docs.timestamp, scope: S3Docs.scope,
        seedSignature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
    static let trailerContext = ChunkSigningContext(
        signingKey: SigningKey(secret: S3Docs.secret, scope: S3Docs.scope), timestamp: S3Docs.timestamp, scope: S3Docs.scope,
        seedSignature: "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")
    static let payload = [UInt8](repeating: UInt8(ascii: "a"), count: 66560)

    /// The body of the S3 documentation's chunked PUT: 65536 and 1024 bytes of `a`, then the final chunk.
    static let documented: [UInt8] = Array(
        ("10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n"
            + String(repeating: "a", count: 65536) + "\r\n"
            + "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n"
            + String(repeating: "a", count: 1024) + "\r\n"
            + "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n").utf8)

    /// The body of the S3 documentation's chunked PUT with a signed CRC32C trailer; `blankLine` puts an empty line
    /// between the final chunk and the trailers, as some encoders do.
    static func documentedWithTrailer(blankLine: Bool = false, checksum: String = "sOO8/Q==") -> [UInt8] {
        Array(
            ("10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n"
                + String(repeating: "a", count: 65536) + "\r\n"
                + "400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n"
                + String(repeating: "a", count: 1024) + "\r\n"
                + "0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n"
                + (blankLine ? "\r\n" : "")
                + "x-amz-checksum-crc32c:\(checksum)\r\n"
                + "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n").utf8)
    }

    /// A body of `payload` in chunks of `chunkSize`, signed with `context` when given, with `trailers` when given.
    static func make(
        _ payload: [UInt8], chunkSize: Int, context: ChunkSigningContext?, trailers: [(String, String)]? = nil
    ) -> [UInt8] {
        var body = [UInt8]()
        var previous = context?.seedSignature ?? ""
        var offset = 0
        repeat {
            let chunk = Array(payload[offset..<min(offset + chunkSize, payload.count)])
            offset += chunk.count
            var header = String(chunk.count, radix: 16)
            if let context {
                previous = context.chunkSignature(previousSignature: previous, chunkHash: SHA256Hex.of(chunk))
                header += ";chunk-signature=" + previous
            }
            body += Array((header + "\r\n").utf8) + chunk
            if !chunk.isEmpty { body += Array("\r\n".utf8) }
            if chunk.isEmpty { break }
        } while true
        if let trailers {
            for (name, value) in trailers { body += Array("\(name):\(value)\r\n".utf8) }
            if let context {
                let canonical = trailers.sorted { $0.0 < $1.0 }.map { "\($0.0):\($0.1)\n" }.joined()
                let signature = context.trailerSignature(previousSignature: previous, canonicalTrailers: canonical)
                body += Array("x-amz-trailer-signature:\(signature)\r\n".utf8)
            }
        }
        body += Array("\r\n".utf8)
        return body
    }
}

/// What one decoding produced, or how far it got before failing.
struct Decoded {
    var data: [UInt8] = []
    var trailers: [String: String] = [:]
}

/// Decodes `body` fed in pieces ending at `cuts` (then the rest).
func decode(
    _ body: [UInt8], mode: AWSChunkedDecoder.Mode, decodedLength: Int64? = nil, checksum: PayloadChecksum.Algorithm? = nil,
    cuts: [Int], into decoded: inout Decoded
) throws {
    var decoder = AWSChunkedDecoder(mode: mode, decodedLength: decodedLength, checksum: checksum)
    var start = 0
    for end in cuts + [body.count] where end >= start {
        try body[start..<end].withUnsafeBytes { slice in
            try decoder.feed(slice) { decoded.data.append(contentsOf: $0) }
        }
        start = end
    }
    decoded.trailers = try decoder.finish()
}

/// Decodes `body` fed in slices of `sliceSize`.
func decode(
    _ body: [UInt8], mode: AWSChunkedDecoder.Mode, decodedLength: Int64? = nil, checksum: PayloadChecksum.Algorithm? = nil,
    sliceSize: Int
) throws -> Decoded {
    var decoded = Decoded()
    try decode(
        body, mode: mode, decodedLength: decodedLength, checksum: checksum, cuts: Array(stride(from: sliceSize, to: body.count, by: sliceSize)),
        into: &decoded)
    return decoded
}

struct ChunkedDecoderTests {
    let signed = AWSChunkedDecoder.Mode.signed(ChunkedBodies.payloadContext)

    @Test(arguments: [Int.max, 1, 7, 4096, 65_624])
    func documentedBodyInSlices(sliceSize: Int) throws {
        let decoded = try decode(ChunkedBodies.documented, mode: signed, decodedLength: 66560, sliceSize: sliceSize)
        #expect(decoded.data == ChunkedBodies.payload)
        #expect(decoded.trailers.isEmpty)
    }

    @Test func documentedBodySplitAtEveryPointNearTheHeaders() throws {
        let body = ChunkedBodies.documented
        let regions = [0..<200, (65_624 - 100)..<(65_624 + 200), (body.count - 200)..<(body.count + 1)]
        for region in regions {
            for cut in region {
                var decoded = Decoded()
                try decode(body, mode: signed, decodedLength: 66560, cuts: [cut], into: &decoded)
                #expect(decoded.data.count == 66560, "cut at \(cut)")
            }
        }
        // Three pieces, the middle one a few bytes long, across the second chunk's header.
        for cut in (65_600..<65_720).striding(by: 3) {
            var decoded = Decoded()
            try decode(body, mode: signed, decodedLength: 66560, cuts: [cut, cut + 5], into: &decoded)
            #expect(decoded.data == ChunkedBodies.payload, "cuts at \(cut), \(cut + 5)")
        }
    }

    @Test func decoderFromAVerifiedRequest() async throws {
        let verified = try await makeVerifier().verify(
            SigV4Request(method: "PUT", rawPath: "/examplebucket/chunkObject.txt", rawQuery: nil, headers: S3ExampleTests.chunkedHeaders),
            service: "s3", uriMode: .s3, now: S3Docs.date)
        var decoder = try AWSChunkedDecoder(verified: verified, decodedLength: 66560)
        var count = 0
        try ChunkedBodies.documented.withUnsafeBytes { body in try decoder.feed(body) { count += $0.count } }
        #expect(try decoder.finish().isEmpty)
        #expect(count == 66560)
        #expect(decoder.decodedCount == 66560)
    }

    @Test func badChunkSignature() throws {
        var body = ChunkedBodies.documented
        let second = 88 + 65536 + 2 + "400;chunk-signature=".utf8.count
        body[second] = body[second] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        var decoded = Decoded()
        expectErrorSync(.signatureDoesNotMatch) { try decode(body, mode: signed, cuts: [], into: &decoded) }
        // The second chunk's bytes were emitted before its signature could be checked: the caller discards them.
        #expect(decoded.data.count == 66560)
    }

    @Test func tamperedChunkData() throws {
        var body = ChunkedBodies.documented
        body[88 + 1000] = UInt8(ascii: "b")
        var decoded = Decoded()
        expectErrorSync(.signatureDoesNotMatch) { try decode(body, mode: signed, cuts: [4096], into: &decoded) }
        #expect(decoded.data.count == 65536)
    }

    @Test func wrongSeedSignature() {
        var decoded = Decoded()
        expectErrorSync(.signatureDoesNotMatch) {
            try decode(ChunkedBodies.documented, mode: .signed(ChunkedBodies.trailerContext), cuts: [], into: &decoded)
        }
    }

    @Test(arguments: [0, 10, 88, 1000, 65_623, 65_624, 66_700, 66_822, 66_823])
    func truncatedBody(length: Int) {
        let body = Array(ChunkedBodies.documented.prefix(length))
        var decoded = Decoded()
        expectErrorSync("IncompleteBody") { try decode(body, mode: signed, cuts: [], into: &decoded) }
    }

    @Test func decodedLengthMismatch() {
        var decoded = Decoded()
        expectErrorSync("IncompleteBody") { try decode(ChunkedBodies.documented, mode: signed, decodedLength: 66561, cuts: [], into: &decoded) }
        decoded = Decoded()
        expectErrorSync("IncompleteBody") { try decode(ChunkedBodies.documented, mode: signed, decodedLength: 66000, cuts: [], into: &decoded) }
        #expect(decoded.data.count <= 66000)
    }

    @Test(arguments: [false, true])
    func documentedSignedTrailer(blankLine: Bool) throws {
        for sliceSize in [Int.max, 1, 7] {
            let decoded = try decode(
                ChunkedBodies.documentedWithTrailer(blankLine: blankLine), mode: .signedWithTrailer(ChunkedBodies.trailerContext),
                decodedLength: 66560, checksum: .crc32c, sliceSize: sliceSize)
            #expect(decoded.data == ChunkedBodies.payload)
            #expect(decoded.trailers == ["x-amz-checksum-crc32c": "sOO8/Q=="])
        }
    }

    @Test func tamperedSignedTrailer() {
        var decoded = Decoded()
        expectErrorSync(.signatureDoesNotMatch) {
            try decode(
                ChunkedBodies.documentedWithTrailer(checksum: "AAAAAA=="), mode: .signedWithTrailer(ChunkedBodies.trailerContext),
                checksum: .crc32c, cuts: [], into: &decoded)
        }
    }

    @Test func signedTrailerWithoutSignature() {
        let body = ChunkedBodies.make(Array("hello".utf8), chunkSize: 5, context: ChunkedBodies.trailerContext, trailers: nil)
        var decoded = Decoded()
        expectErrorSync(.incompleteSignature) {
            try decode(body, mode: .signedWithTrailer(ChunkedBodies.trailerContext), cuts: [], into: &decoded)
        }
    }

    @Test func unsignedTrailerWithCRC32() throws {
        let payload = Array("hello world".utf8)
        var crc = CRC32()
        crc.update(payload)
        #expect(crc.base64 == "DUoRhQ==")
        let good = ChunkedBodies.make(payload, chunkSize: 5, context: nil, trailers: [("x-amz-checksum-crc32", crc.base64)])
        #expect(String(decoding: good, as: UTF8.self) == "5\r\nhello\r\n5\r\n worl\r\n1\r\nd\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n")
        for sliceSize in [Int.max, 1, 3] {
            let decoded = try decode(good, mode: .unsignedWithTrailer, decodedLength: 11, checksum: .crc32, sliceSize: sliceSize)
            #expect(decoded.data == payload)
            #expect(decoded.trailers == ["x-amz-checksum-crc32": "DUoRhQ=="])
        }

        let bad = ChunkedBodies.make(payload, chunkSize: 5, context: nil, trailers: [("x-amz-checksum-crc32", "AAAAAA==")])
        var decoded = Decoded()
        expectErrorSync(.badDigest) { try decode(bad, mode: .unsignedWithTrailer, checksum: .crc32, cuts: [], into: &decoded) }
        // Without a checksum algorithm the decoder returns the trailer for the caller to compare.
        let unchecked = try decode(bad, mode: .unsignedWithTrailer, sliceSize: 4)
        #expect(unchecked.trailers["x-amz-checksum-crc32"] == "AAAAAA==")
        // A checksum was expected but the trailer is missing.
        let missing = ChunkedBodies.make(payload, chunkSize: 5, context: nil, trailers: [])
        decoded = Decoded()
        expectErrorSync(.invalidRequest) { try decode(missing, mode: .unsignedWithTrailer, checksum: .crc32, cuts: [], into: &decoded) }
    }

    @Test func generatedSignedBodiesWithTrailers() throws {
        var generator = SystemRandomNumberGenerator()
        let payload = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var checksum = PayloadChecksum(.sha256)
        payload.withUnsafeBytes { checksum.update($0) }
        for chunkSize in [8192, 65536, 100_000, 150_000] {
            let body = ChunkedBodies.make(
                payload, chunkSize: chunkSize, context: ChunkedBodies.payloadContext,
                trailers: [("x-amz-checksum-sha256", checksum.base64), ("x-amz-meta-extra", "value")])
            for sliceSize in [Int.max, 1000, 8193] {
                let decoded = try decode(
                    body, mode: .signedWithTrailer(ChunkedBodies.payloadContext), decodedLength: 100_000, checksum: .sha256,
                    sliceSize: sliceSize)
                #expect(decoded.data == payload)
                #expect(decoded.trailers == ["x-amz-checksum-sha256": checksum.base64, "x-amz-meta-extra": "value"])
            }
        }
        // An empty body is just the final chunk.
        let empty = ChunkedBodies.make([], chunkSize: 10, context: ChunkedBodies.payloadContext)
        #expect(try decode(empty, mode: signed, decodedLength: 0, sliceSize: 1).data.isEmpty)
    }

    @Test func malformedFraming() {
        let cases: [(String, AWSChunkedDecoder.Mode)] = [
            ("5\r\nhello0\r\n\r\n", .unsigned),  // no CRLF after the data
            ("z\r\nhello\r\n0\r\n\r\n", .unsigned),  // bad size
            ("5\nhello\r\n0\r\n\r\n", .unsigned),  // bare LF
            ("5\r\nhello\r\n0\r\n\r\nextra", .unsigned),  // bytes after the end
            ("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n", .unsigned),  // trailers not announced
            ("5\r\nhello\r\n0\r\nno-colon\r\n\r\n", .unsignedWithTrailer),
            (String(repeating: "0", count: 5000) + "\r\n", .unsigned),  // line too long
            ("5\r\nhello\r\n", .signed(ChunkedBodies.payloadContext)),  // signed body without chunk-signature
        ]
        for (body, mode) in cases {
            var decoded = Decoded()
            expectErrorSync(.invalidRequest) { try decode(Array(body.utf8), mode: mode, cuts: [], into: &decoded) }
        }
    }

    @Test func unsignedBodyIgnoresExtensionsAndRefusesInputAfterAnError() throws {
        let decoded = try decode(Array("5;foo=bar\r\nhello\r\n0\r\n\r\n".utf8), mode: .unsigned, sliceSize: 2)
        #expect(decoded.data == Array("hello".utf8))

        var decoder = AWSChunkedDecoder(mode: .unsigned)
        expectErrorSync(.invalidRequest) { try Array("x\r\n".utf8).withUnsafeBytes { try decoder.feed($0) { _ in } } }
        expectErrorSync(.invalidRequest) { try Array("0\r\n\r\n".utf8).withUnsafeBytes { try decoder.feed($0) { _ in } } }
    }
}

extension Range where Bound == Int {
    func striding(by step: Int) -> StrideTo<Int> { stride(from: lowerBound, to: upperBound, by: step) }
}
