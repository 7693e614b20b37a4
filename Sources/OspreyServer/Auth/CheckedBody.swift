import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import OspreyCore
import OspreySigV4

/// What reading a request body must verify: the signed payload hash, aws-chunked framing and chunk signatures,
/// `Content-MD5`, and an `x-amz-checksum-*` value (as a header, or as an aws-chunked trailer named by `x-amz-trailer`).
struct BodyChecks: Sendable {
    var signature: VerifiedSignature?
    var contentMD5: String?
    /// A checksum sent as a header, with its expected value.
    var headerChecksum: (algorithm: PayloadChecksum.Algorithm, expected: String)?
    /// A checksum announced to arrive as a trailer.
    var trailerChecksum: PayloadChecksum.Algorithm?
    var decodedLength: Int64?

    init(request: Request, signature: VerifiedSignature?) {
        self.signature = signature
        contentMD5 = request.headers[.contentMD5]
        for field in request.headers {
            if let algorithm = PayloadChecksum.Algorithm(headerName: field.name.canonicalName) {
                headerChecksum = (algorithm, field.value)
            }
        }
        trailerChecksum = request.headers[HTTPField.Name("x-amz-trailer")!].flatMap { PayloadChecksum.Algorithm(headerName: $0) }
        decodedLength = request.headers[.xAmzDecodedContentLength].flatMap { Int64($0) }
    }
}

/// A request body that decodes aws-chunked framing and throws at its end when a check in `BodyChecks` fails.
struct CheckedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let checks: BodyChecks

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), checks: checks) }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let checks: BodyChecks
        var decoder: AWSChunkedDecoder?
        var decoderError: (any Error)?
        var sha256: SHA256?
        var md5: Insecure.MD5?
        var checksum: PayloadChecksum?
        var finished = false

        init(base: Base.AsyncIterator, checks: BodyChecks) {
            self.base = base
            self.checks = checks
            if let signature = checks.signature {
                if signature.payload.isStreaming {
                    do {
                        decoder = try AWSChunkedDecoder(
                            verified: signature, decodedLength: checks.decodedLength, checksum: checks.trailerChecksum
                        )
                    } catch {
                        decoderError = error
                    }
                } else if case .sha256 = signature.payload {
                    sha256 = SHA256()
                }
            }
            if checks.contentMD5 != nil { md5 = Insecure.MD5() }
            if let header = checks.headerChecksum { checksum = PayloadChecksum(header.algorithm) }
        }

        mutating func next() async throws -> ByteBuffer? {
            if let decoderError { throw decoderError }
            while !finished {
                guard let raw = try await base.next() else {
                    finished = true
                    try finish()
                    return nil
                }
                var output: ByteBuffer
                if decoder != nil {
                    output = ByteBuffer()
                    output.reserveCapacity(raw.readableBytes)
                    try raw.withUnsafeReadableBytes { bytes in
                        try decoder!.feed(bytes) { output.writeBytes($0) }
                    }
                    if output.readableBytes == 0 { continue }
                } else {
                    output = raw
                }
                output.withUnsafeReadableBytes { bytes in
                    sha256?.update(bufferPointer: bytes)
                    md5?.update(bufferPointer: bytes)
                    checksum?.update(bytes)
                }
                return output
            }
            return nil
        }

        private mutating func finish() throws {
            if decoder != nil { _ = try decoder!.finish() }
            if let hasher = sha256, let signature = checks.signature {
                let digest = Hex.encode(hasher.finalize())
                do { try signature.checkBody(sha256Hex: digest) } catch {
                    throw OspreyError(
                        .xAmzContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed."
                    )
                }
            }
            if let hasher = md5, let expected = checks.contentMD5 {
                guard Data(hasher.finalize()).base64EncodedString() == expected else {
                    throw OspreyError(.badDigest, "The Content-MD5 you specified did not match what we received.")
                }
            }
            if let checksum, let expected = checks.headerChecksum?.expected, checksum.base64 != expected {
                throw OspreyError(.badDigest, "The \(checksum.algorithm.rawValue) you specified did not match the calculated checksum.")
            }
        }
    }
}
