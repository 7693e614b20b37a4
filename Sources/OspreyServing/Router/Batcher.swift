import Foundation
import OspreyCore
import Synchronization

/// Dynamic batching for one pool (opt-in per model): requests arriving within `maxDelay` of the first are sent together,
/// at most `maxSize` at a time, as one `invokeBatch` call; each caller gets its own answer.
///
/// Turned on by the model's `OSPREY_MAX_BATCH_SIZE` (2 or more) and tuned by `OSPREY_MAX_BATCH_DELAY_MS` (default 5).
final class Batcher: Sendable {
    struct Settings: Sendable, Equatable {
        var maxSize: Int
        var maxDelay: Duration

        /// The settings a model's variables ask for; nil when batching is off.
        init?(_ environment: [String: String]) {
            guard let size = environment["OSPREY_MAX_BATCH_SIZE"].flatMap(Int.init), size >= 2 else { return nil }
            maxSize = min(size, 1024)
            maxDelay = .milliseconds(max(0, environment["OSPREY_MAX_BATCH_DELAY_MS"].flatMap(Int.init) ?? 5))
        }
    }

    private typealias Waiter = (request: InvocationRequest, continuation: CheckedContinuation<InvocationResponse, any Error>)

    private struct State {
        var pending: [Waiter] = []
        var timerArmed = false
    }

    let settings: Settings
    private let state = Mutex(State())
    /// Sends one batch (to the least busy worker, retrying once when it ends before answering).
    private let send: @Sendable ([InvocationRequest]) async throws -> [InvocationResponse]

    init(settings: Settings, send: @escaping @Sendable ([InvocationRequest]) async throws -> [InvocationResponse]) {
        self.settings = settings
        self.send = send
    }

    func submit(_ request: InvocationRequest) async throws -> InvocationResponse {
        try await withCheckedThrowingContinuation { continuation in
            let (full, armTimer) = state.withLock { state -> ([Waiter]?, Bool) in
                state.pending.append((request, continuation))
                if state.pending.count >= settings.maxSize {
                    let batch = Array(state.pending.prefix(settings.maxSize))
                    state.pending.removeFirst(batch.count)
                    return (batch, false)
                }
                guard !state.timerArmed else { return (nil, false) }
                state.timerArmed = true
                return (nil, true)
            }
            if let full { dispatch(full) }
            if armTimer { flushAfterDelay() }
        }
    }

    /// Sends what is pending once `maxDelay` has passed, and keeps doing so while requests remain.
    private func flushAfterDelay() {
        Task {
            try? await Task.sleep(for: settings.maxDelay)
            let (batch, again) = state.withLock { state -> ([Waiter], Bool) in
                let batch = Array(state.pending.prefix(settings.maxSize))
                state.pending.removeFirst(batch.count)
                state.timerArmed = !state.pending.isEmpty
                return (batch, state.timerArmed)
            }
            if !batch.isEmpty { dispatch(batch) }
            if again { flushAfterDelay() }
        }
    }

    private func dispatch(_ batch: [Waiter]) {
        Task {
            do {
                let answers = try await send(batch.map(\.request))
                guard answers.count == batch.count else {
                    throw OspreyError(.internalError, "The model worker answered \(answers.count) of a batch of \(batch.count).")
                }
                for (waiter, answer) in zip(batch, answers) { waiter.continuation.resume(returning: answer) }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}
