public import NIOCore

/// Stores blobs of bytes under keys: the port every feature uses for object content, models and archives.
///
/// Keys are `/`-separated relative paths without empty, `.` or `..` segments (see `ArtifactKey`).
/// Writes are atomic: after a crash a key holds either its whole new content or what it held before.
public protocol ArtifactStore: Sendable {
    /// Stores the bytes of `body` under `key`, replacing what was there; returns the number of bytes written.
    ///
    /// `length`, when known, lets remote stores send a `Content-Length`. If `body` throws, nothing is stored.
    @discardableResult
    func write<Body: AsyncSequence & Sendable>(_ key: String, length: Int64?, from body: Body) async throws -> Int64
    where Body.Element == ByteBuffer

    /// Streams the bytes of `key` (or of `range` within it) to `consume`, in order, with back-pressure.
    ///
    /// Throws `OspreyError(.notFound)` when the key does not exist.
    func read(_ key: String, range: Range<Int64>?, into consume: (ByteBuffer) async throws -> Void) async throws

    /// Copies `source` to `target` atomically. Throws `OspreyError(.notFound)` when `source` does not exist.
    func copy(_ source: String, to target: String) async throws

    /// Removes `key`; removing a missing key is not an error.
    func delete(_ key: String) async throws

    /// The size of `key` in bytes, nil when it does not exist.
    func size(of key: String) async throws -> Int64?

    /// Every key starting with `prefix`, in no particular order.
    func keys(prefix: String) async throws -> [String]
}

extension ArtifactStore {
    /// Stores `bytes` under `key`.
    @discardableResult
    public func write(_ key: String, bytes: ByteBuffer) async throws -> Int64 {
        try await write(key, length: Int64(bytes.readableBytes), from: ByteBufferSequence(bytes))
    }

    /// Reads all of `key` into memory. For small artifacts only.
    public func readAll(_ key: String, limit: Int = 64 << 20) async throws -> ByteBuffer {
        var all = ByteBuffer()
        try await read(key, range: nil) { chunk in
            var chunk = chunk
            guard all.readableBytes + chunk.readableBytes <= limit else {
                throw ArtifactKeyError.tooLarge(key: key, limit: limit)
            }
            all.writeBuffer(&chunk)
        }
        return all
    }
}

/// Buffers already in memory as a request or artifact body (an async sequence of `ByteBuffer`).
public struct ByteBufferSequence: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let buffers: [ByteBuffer]

    public init(_ buffers: ByteBuffer...) { self.buffers = buffers }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        public mutating func next() async -> ByteBuffer? { remaining.popFirst() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: buffers[...]) }
}
