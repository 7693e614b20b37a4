import NIOCore
import Synchronization

/// What a request body did while AsyncHTTPClient sent it: bytes produced, and the caller's own error if it threw one.
final class BodyProgress: Sendable {
    private let state = Mutex<(bytes: Int64, error: (any Error)?)>((0, nil))

    /// The bytes the body has produced so far.
    var bytes: Int64 { state.withLock { $0.bytes } }

    /// The first error the caller's sequence threw; nil when it threw none.
    var error: (any Error)? { state.withLock { $0.error } }

    func add(_ count: Int) { state.withLock { $0.bytes += Int64(count) } }

    func fail(_ error: any Error) {
        state.withLock { if $0.error == nil { $0.error = error } }
    }
}

/// Wraps a caller's body to record its progress, so that its errors can be told apart from transport failures.
struct ObservedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let progress: BodyProgress

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let progress: BodyProgress

        mutating func next() async throws -> ByteBuffer? {
            do {
                let chunk = try await base.next()
                if let chunk { progress.add(chunk.readableBytes) }
                return chunk
            } catch {
                progress.fail(error)
                throw error
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), progress: progress) }
}
