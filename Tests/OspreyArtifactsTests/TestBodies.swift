import Crypto
import NIOCore

/// A deterministic body of `count` bytes, made in `chunkSize` chunks as it is iterated (never held whole).
///
/// Each chunk is a shared pattern stamped with its index, so different offsets hold different bytes.
struct GeneratedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let count: Int64
    var chunkSize = 1 << 20

    struct AsyncIterator: AsyncIteratorProtocol {
        let count: Int64
        let pattern: ByteBuffer
        var produced: Int64 = 0
        var index: UInt64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard produced < count else { return nil }
            let length = Int(Swift.min(Int64(pattern.readableBytes), count - produced))
            var chunk = pattern.getSlice(at: 0, length: length)!
            if length >= 8 { chunk.setInteger(index, at: chunk.readerIndex) }
            produced += Int64(length)
            index += 1
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        var pattern = ByteBuffer()
        pattern.reserveCapacity(chunkSize)
        for offset in 0..<chunkSize { pattern.writeInteger(UInt8(truncatingIfNeeded: offset &* 131 &+ offset >> 9)) }
        return AsyncIterator(count: count, pattern: pattern)
    }

    /// The SHA-256 (hex) of the whole body, computed by streaming it.
    func sha256() async throws -> String {
        var hasher = SHA256()
        for try await chunk in self { chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return hasher.finalize().map { String(format2: $0) }.joined()
    }
}

/// A body that yields `chunks` and then throws `BodyFailure`.
struct FailingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: [ByteBuffer]
        mutating func next() async throws -> ByteBuffer? {
            guard !remaining.isEmpty else { throw BodyFailure() }
            return remaining.removeFirst()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks) }
}

/// The error `FailingBody` throws.
struct BodyFailure: Error, Equatable {}

/// A body of the given chunks, with no length known in advance.
struct ChunkedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: [ByteBuffer]
        mutating func next() async throws -> ByteBuffer? { remaining.isEmpty ? nil : remaining.removeFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks) }
}

/// Streams what a read delivers into a hash, counting bytes and chunks, holding no more than one chunk.
struct StreamDigest {
    var hasher = SHA256()
    var bytes: Int64 = 0
    var largestChunk = 0

    mutating func add(_ chunk: ByteBuffer) {
        chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        bytes += Int64(chunk.readableBytes)
        largestChunk = max(largestChunk, chunk.readableBytes)
    }

    var hex: String { hasher.finalize().map { String(format2: $0) }.joined() }
}

extension String {
    /// Two lowercase hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
