import Crypto
import OspreyCore
public import NIOCore
import Synchronization

/// Computes the MD5 of the bytes that pass through a `DigestingSequence`.
public final class BodyDigest: Sendable {
    private let state = Mutex<(md5: Insecure.MD5, count: Int64)>((Insecure.MD5(), 0))

    public init() {}

    /// Hashes `buffer`; returns the number of bytes seen so far.
    func update(_ buffer: ByteBuffer) -> Int64 {
        state.withLock { state in
            buffer.withUnsafeReadableBytes { state.md5.update(bufferPointer: $0) }
            state.count += Int64(buffer.readableBytes)
            return state.count
        }
    }

    /// The MD5 of everything seen so far, and how many bytes that was.
    public func finalize() -> (md5: [UInt8], count: Int64) {
        state.withLock { (Array($0.md5.finalize()), $0.count) }
    }
}

/// Passes a body through unchanged while `digest` hashes it; throws `.entityTooLarge` past `limit` bytes.
public struct DigestingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
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

        public mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            if digest.update(buffer) > limit {
                throw OspreyError(.entityTooLarge, "Your proposed upload exceeds the maximum allowed size of \(limit) bytes.")
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
