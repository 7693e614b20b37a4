import Crypto
import OspreyCore

/// A streaming decoder for `Content-Encoding: aws-chunked` bodies.
///
/// Feed it slices of the body as they arrive, split anywhere; it emits decoded payload bytes as soon as it sees them
/// and never buffers more than one header or trailer line (at most `maxLineLength` bytes). Signed chunks are hashed
/// as they stream and their `chunk-signature` is checked when the chunk ends, so bytes of a bad chunk may already have
/// been emitted when `feed` throws: the caller must discard everything it wrote for this body on any error.
/// After an error the decoder refuses further input.
///
/// Wire format: `hex-size[;chunk-signature=sig]\r\n data \r\n` repeated, a zero-size chunk, then (trailer modes)
/// `name:value\r\n` lines — for signed trailers ending with `x-amz-trailer-signature:sig\r\n` — and a final `\r\n`.
public struct AWSChunkedDecoder: Sendable {
    /// Which aws-chunked variant the body is.
    public enum Mode: Sendable {
        /// Unsigned chunks without trailers.
        case unsigned
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk carries a chained `chunk-signature`.
        case signed(ChunkSigningContext)
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then trailers with `x-amz-trailer-signature`.
        case signedWithTrailer(ChunkSigningContext)
        /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks, then unsigned trailers.
        case unsignedWithTrailer
    }

    /// The longest chunk header or trailer line accepted, CRLF included.
    public static let maxLineLength = 4096
    /// The most trailing headers accepted.
    public static let maxTrailers = 16

    private enum State: Equatable {
        case chunkHeader
        case chunkData
        case chunkDataEnd(sawCR: Bool)
        /// After the zero-size chunk: reading trailer lines, or the final blank line.
        case trailer
        /// A blank line came right after the zero-size chunk in a trailer mode: the body may end here, or trailers
        /// may follow (some encoders put a blank line between the final chunk and the trailers).
        case maybeEnd
        case done
        case failed
    }

    private let signing: ChunkSigningContext?
    private let hasTrailer: Bool
    private let decodedLength: Int64?
    private var checksum: PayloadChecksum?

    private var state = State.chunkHeader
    private var line: [UInt8] = []
    private var remaining: Int64 = 0
    private var chunkSignature = ""
    private var previousSignature: String
    private var hasher = SHA256()
    private var sawBlankAfterFinalChunk = false
    private var trailers: [(name: String, value: String)] = []
    private var trailerSignature: String?

    /// The number of payload bytes emitted so far.
    public private(set) var decodedCount: Int64 = 0

    /// A decoder for a body in `mode`.
    ///
    /// `decodedLength` is `x-amz-decoded-content-length` if the request carried it: a body of any other decoded
    /// length fails. `checksum` makes the decoder compute that checksum of the decoded bytes and, when the body has
    /// a trailer of that name (`x-amz-checksum-…`), compare them at `finish()` (`BadDigest` on mismatch).
    public init(mode: Mode, decodedLength: Int64? = nil, checksum: PayloadChecksum.Algorithm? = nil) {
        switch mode {
        case .unsigned: (signing, hasTrailer) = (nil, false)
        case .signed(let context): (signing, hasTrailer) = (context, false)
        case .signedWithTrailer(let context): (signing, hasTrailer) = (context, true)
        case .unsignedWithTrailer: (signing, hasTrailer) = (nil, true)
        }
        self.decodedLength = decodedLength
        self.checksum = checksum.map(PayloadChecksum.init)
        self.previousSignature = signing?.seedSignature ?? ""
        line.reserveCapacity(128)
    }

    /// A decoder for the body of a verified request whose payload is one of the streaming forms.
    ///
    /// Throws `InvalidRequest` if `verified.payload` is not a streaming payload.
    public init(verified: VerifiedSignature, decodedLength: Int64?, checksum: PayloadChecksum.Algorithm? = nil) throws {
        let mode: Mode
        switch verified.payload {
        case .streamingSigned: mode = .signed(verified.chunkSigning!)
        case .streamingSignedTrailer: mode = .signedWithTrailer(verified.chunkSigning!)
        case .streamingUnsignedTrailer: mode = .unsignedWithTrailer
        default: throw OspreyError(.invalidRequest, "The request's x-amz-content-sha256 does not announce an aws-chunked body.")
        }
        self.init(mode: mode, decodedLength: decodedLength, checksum: checksum)
    }

    /// The checksum of the bytes decoded so far, base64 (nil unless a checksum algorithm was given).
    public var computedChecksum: String? { checksum?.base64 }

    /// Decodes `bytes`, the next slice of the body, calling `emit` with each run of payload bytes it contains.
    ///
    /// Throws `SignatureDoesNotMatch` for a bad chunk or trailer signature, `InvalidRequest` for bad framing, and
    /// whatever `emit` throws.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard state != .failed else { throw SigV4Errors.malformedChunk("the decoder already failed") }
        do {
            try consume(bytes, emit: emit)
        } catch {
            state = .failed
            throw error
        }
    }

    /// Ends the body: throws `IncompleteBody` if it stopped before its end or its decoded length is not the declared
    /// one, `BadDigest` if a checksum trailer does not match; returns the trailing headers (lowercase names, without
    /// `x-amz-trailer-signature`).
    public mutating func finish() throws -> [String: String] {
        do {
            return try end()
        } catch {
            state = .failed
            throw error
        }
    }

    // MARK: - Decoding

    private mutating func consume(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let count = bytes.count
        var offset = 0
        while offset < count {
            switch state {
            case .chunkHeader, .trailer, .maybeEnd:
                if state == .maybeEnd { state = .trailer }
                var end = offset
                while end < count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                let found = end < count
                guard line.count + (end - offset) + (found ? 1 : 0) <= Self.maxLineLength else {
                    throw SigV4Errors.malformedChunk("a chunk header or trailer line is longer than \(Self.maxLineLength) bytes")
                }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
                offset = found ? end + 1 : end
                if found { try endOfLine() }
            case .chunkData:
                let take = Int(min(Int64(count - offset), remaining))
                let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take])
                if signing != nil { hasher.update(bufferPointer: slice) }
                checksum?.update(slice)
                decodedCount += Int64(take)
                if let decodedLength, decodedCount > decodedLength {
                    throw SigV4Errors.incompleteBody("The decoded body is longer than x-amz-decoded-content-length (\(decodedLength)).")
                }
                try emit(slice)
                remaining -= Int64(take)
                offset += take
                if remaining == 0 {
                    try verifyChunk(hash: Hex.encode(hasher.finalize()))
                    state = .chunkDataEnd(sawCR: false)
                }
            case .chunkDataEnd(let sawCR):
                let byte = bytes[offset]
                offset += 1
                guard byte == (sawCR ? UInt8(ascii: "\n") : UInt8(ascii: "\r")) else {
                    throw SigV4Errors.malformedChunk("chunk data is not followed by CRLF")
                }
                state = sawCR ? .chunkHeader : .chunkDataEnd(sawCR: true)
            case .done:
                throw SigV4Errors.malformedChunk("bytes after the end of the body")
            case .failed:
                throw SigV4Errors.malformedChunk("the decoder already failed")
            }
        }
    }

    /// Handles the complete line in `line` (its LF already consumed).
    private mutating func endOfLine() throws {
        guard line.last == UInt8(ascii: "\r") else { throw SigV4Errors.malformedChunk("a line does not end with CRLF") }
        line.removeLast()
        defer { line.removeAll(keepingCapacity: true) }
        if state == .chunkHeader {
            try chunkHeader()
        } else {
            try trailerLine()
        }
    }

    private mutating func chunkHeader() throws {
        let semicolon = line.firstIndex(of: UInt8(ascii: ";")) ?? line.endIndex
        let sizeDigits = line[..<semicolon]
        guard !sizeDigits.isEmpty, sizeDigits.count <= 15 else { throw SigV4Errors.malformedChunk("bad chunk size") }
        var size: Int64 = 0
        for digit in sizeDigits {
            guard let value = Hex.value(of: digit) else { throw SigV4Errors.malformedChunk("bad chunk size") }
            size = size << 4 | Int64(value)
        }
        var signature: String?
        if semicolon < line.endIndex {
            for field in line[(semicolon + 1)...].split(separator: UInt8(ascii: ";")) {
                let text = String(decoding: field, as: UTF8.self).trimmingASCIIWhitespace()
                if text.hasPrefix("chunk-signature=") { signature = String(text.dropFirst("chunk-signature=".count)) }
            }
        }
        if signing != nil {
            guard let signature, Hex.isHex(signature, count: 64) else {
                throw SigV4Errors.malformedChunk("a chunk of a signed body has no valid chunk-signature")
            }
            chunkSignature = signature
        }
        if size > 0 {
            remaining = size
            hasher = SHA256()
            state = .chunkData
            return
        }
        try verifyChunk(hash: SHA256Hex.empty)
        if let decodedLength, decodedCount != decodedLength {
            throw SigV4Errors.incompleteBody(
                "The decoded body has \(decodedCount) bytes but x-amz-decoded-content-length is \(decodedLength).")
        }
        state = .trailer
    }

    /// Checks the signature of the chunk that just ended (signed modes only) and chains it.
    private mutating func verifyChunk(hash: String) throws {
        guard let signing else { return }
        let computed = signing.chunkSignature(previousSignature: previousSignature, chunkHash: hash)
        guard ConstantTime.signaturesMatch(provided: chunkSignature, computed: computed) else {
            throw SigV4Errors.signatureDoesNotMatch()
        }
        previousSignature = computed
    }

    private mutating func trailerLine() throws {
        if line.isEmpty {
            if hasTrailer && trailers.isEmpty && trailerSignature == nil && !sawBlankAfterFinalChunk {
                sawBlankAfterFinalChunk = true
                state = .maybeEnd
                return
            }
            try verifyTrailers()
            state = .done
            return
        }
        guard hasTrailer else { throw SigV4Errors.malformedChunk("trailing headers in a body that announced none") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw SigV4Errors.malformedChunk("a trailing header has no ':'")
        }
        let name = String(decoding: line[..<colon], as: UTF8.self).trimmingASCIIWhitespace().lowercased()
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingASCIIWhitespace()
        guard !name.isEmpty, trailerSignature == nil else {
            throw SigV4Errors.malformedChunk("a trailing header follows x-amz-trailer-signature or has no name")
        }
        if name == "x-amz-trailer-signature" {
            trailerSignature = value
        } else {
            guard trailers.count < Self.maxTrailers else { throw SigV4Errors.malformedChunk("too many trailing headers") }
            trailers.append((name, value))
        }
    }

    /// Checks `x-amz-trailer-signature` over the canonical trailers (signed-trailer mode only).
    private func verifyTrailers() throws {
        guard let signing, hasTrailer else { return }
        guard let trailerSignature else { throw SigV4Errors.incomplete("The trailing headers have no x-amz-trailer-signature.") }
        let canonical = trailers.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            .map { "\($0.name):\($0.value)\n" }.joined()
        let computed = signing.trailerSignature(previousSignature: previousSignature, canonicalTrailers: canonical)
        guard ConstantTime.signaturesMatch(provided: trailerSignature, computed: computed) else {
            throw SigV4Errors.signatureDoesNotMatch()
        }
    }

    private mutating func end() throws -> [String: String] {
        switch state {
        case .done:
            break
        case .maybeEnd:
            try verifyTrailers()
            state = .done
        case .failed:
            throw SigV4Errors.malformedChunk("the decoder already failed")
        case .chunkHeader, .chunkData, .chunkDataEnd, .trailer:
            throw SigV4Errors.incompleteBody("The aws-chunked body ended before its final chunk and trailers.")
        }
        if let decodedLength, decodedCount != decodedLength {
            throw SigV4Errors.incompleteBody(
                "The decoded body has \(decodedCount) bytes but x-amz-decoded-content-length is \(decodedLength).")
        }
        var result: [String: String] = [:]
        for trailer in trailers { result[trailer.name] = trailer.value }
        if let checksum {
            let name = checksum.algorithm.headerName
            if let sent = result[name] {
                guard sent == checksum.base64 else {
                    throw OspreyError(.badDigest, "The \(checksum.algorithm.rawValue) you specified did not match the calculated checksum.")
                }
            } else if hasTrailer {
                throw OspreyError(.invalidRequest, "The body's trailing headers do not include \(name).")
            }
        }
        return result
    }
}
