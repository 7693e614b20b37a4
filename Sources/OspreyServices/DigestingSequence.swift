import Crypto
import OspreyCore
public import NIOCore
import Synchronization

/// Computes the MD5 of the bytes that pass through a `DigestingSequence`.
public final class BodyDigest: Sendable {
    private let state = Mutex<(md5: Insecure.MD5, count: Int64)>((Insecure.MD5(), 0))

    public init() {}

    /// Hashes `buffer`. Calls must not overlap: each must return before the next starts, so the bytes are hashed in order.
    func update(_ buffer: ByteBuffer) {
        state.withLock { state in
            buffer.withUnsafeReadableBytes { state.md5.update(bufferPointer: $0) }
            state.count += Int64(buffer.readableBytes)
        }
    }

    /// The MD5 of everything seen so far, and how many bytes that was.
    public func finalize() -> (md5: [UInt8], count: Int64) {
        state.withLock { (Array($0.md5.finalize()), $0.count) }
    }
}

/// Passes a body through unchanged while `digest` hashes it; throws `.entityTooLarge` past `limit` bytes.
///
/// Large chunks are hashed on another task while the consumer handles them and the base sequence produces the next one
/// (MD5 runs at about 600 MB/s on one core, slower than receiving, checking and writing a body), one chunk ahead at most,
/// so memory stays bounded. `digest` is complete once the sequence has ended.
public struct DigestingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    /// Chunks smaller than this are hashed in line: a task hop would cost more than it saves.
    static var inlineLimit: Int { 32 << 10 }
    let base: Base
    let digest: BodyDigest
    let limit: Int64

    public init(_ base: Base, digest: BodyDigest, limit: Int64 = .max) {
        self.base = base
        self.digest = digest
        self.limit = limit
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let digest: BodyDigest
        let limit: Int64
        var count: Int64 = 0
        /// The previous chunk's hashing, when it runs on its own task.
        var hashing: Task<Void, Never>?

        public mutating func next() async throws -> ByteBuffer? {
            let next = try await base.next()
            await hashing?.value
            hashing = nil
            guard let buffer = next else { return nil }
            count += Int64(buffer.readableBytes)
            if count > limit {
                throw OspreyError(.entityTooLarge, "Your proposed upload exceeds the maximum allowed size of \(limit) bytes.")
            }
            if buffer.readableBytes < DigestingSequence.inlineLimit {
                digest.update(buffer)
            } else {
                let digest = digest
                hashing = Task { digest.update(buffer) }
            }
            return buffer
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), digest: digest, limit: limit) }
}

/// Lowercase hex of bytes.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}
