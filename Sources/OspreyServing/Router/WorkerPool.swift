import Foundation
import Logging
import OspreyCore
import Synchronization

/// The workers of one container of one variant: picks the least busy for each call, and replaces a worker whose process
/// ends while the pool is open.
final class WorkerPool: Sendable {
    /// Starts one worker with the given (unique) name.
    typealias Starter = @Sendable (_ name: String) async throws -> any InferenceWorker

    private struct State {
        var workers: [any InferenceWorker] = []
        var closed = false
        /// Replacements started in a row that ended again within a minute; replacing stops after a few.
        var recentFailures: [ContinuousClock.Instant] = []
    }

    /// A name for logs: `endpoint/variant/container`.
    let label: String
    private let start: Starter
    private let logger: Logger
    private let state = Mutex(State())
    private let batching: Batcher.Settings?
    private let batcher = Mutex<Batcher?>(nil)

    /// Every `healthCheckInterval` the idle workers are pinged; one that does not answer is stopped, and so replaced.
    init(
        label: String, logger: Logger, batching: Batcher.Settings? = nil, healthCheckInterval: Duration = .seconds(10),
        start: @escaping Starter
    ) {
        self.label = label
        self.logger = logger
        self.batching = batching
        self.start = start
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: healthCheckInterval)
                guard let self, await self.checkHealth() else { return }
            }
        }
    }

    /// Pings the idle workers and stops those that do not answer; false once the pool is closed.
    private func checkHealth() async -> Bool {
        guard let workers = state.withLock({ $0.closed ? nil : $0.workers }) else { return false }
        for worker in workers where worker.inFlight == 0 {
            if await !worker.ping() {
                logger.warning("A model worker failed its health check; replacing it", metadata: ["pool": "\(label)", "worker": "\(worker.name)"])
                await worker.stop()
            }
        }
        return true
    }

    /// Answers one request on the least busy worker (with the model's batching, when it has it); when that worker ends
    /// before answering, once more on another.
    func invoke(_ request: InvocationRequest) async throws -> InvocationResponse {
        guard let batching else { return try await call { try await $0.invoke(request) } }
        let batcher = self.batcher.withLock { batcher in
            if let batcher { return batcher }
            let made = Batcher(settings: batching) { [weak self] requests in
                guard let self else { throw OspreyError(.unavailable, "The endpoint's workers were stopped.") }
                return try await self.call { try await $0.invokeBatch(requests) }
            }
            batcher = made
            return made
        }
        return try await batcher.submit(request)
    }

    private func call<T: Sendable>(retry: Bool = true, avoiding: String? = nil, _ body: (any InferenceWorker) async throws -> T) async throws -> T {
        guard let worker = pick(avoiding: avoiding) else {
            throw OspreyError(.unavailable, "No model worker of \(label) is running; the endpoint is starting one.")
        }
        do {
            return try await body(worker)
        } catch let error as OspreyError where retry && error.workerFailure?.retryable == true {
            return try await call(retry: false, avoiding: worker.name, body)
        }
    }

    var count: Int { state.withLock { $0.workers.count } }

    /// The resident memory of the workers' main processes.
    var residentBytes: Int64 {
        state.withLock { $0.workers }.reduce(Int64(0)) { total, worker in
            let pages = (try? String(contentsOfFile: "/proc/\(worker.processId)/statm", encoding: .utf8))?.split(separator: " ")
            return total + (pages.flatMap { $0.count > 1 ? Int64($0[1]) : nil } ?? 0) * Int64(sysconf(Int32(_SC_PAGESIZE)))
        }
    }

    /// Starts `count` more workers at once; when one fails, the others started by this call are stopped and its error thrown.
    func grow(by count: Int) async throws {
        try await withThrowingTaskGroup(of: (any InferenceWorker).self) { group in
            for _ in 0..<count { group.addTask { try await self.start(Self.newName()) } }
            var started: [any InferenceWorker] = []
            do {
                for try await worker in group { started.append(worker) }
            } catch {
                group.cancelAll()
                while let worker = try? await group.next() { started.append(worker) }
                for worker in started { await worker.stop() }
                throw error
            }
            let accepted = state.withLock { state -> Bool in
                guard !state.closed else { return false }
                state.workers += started
                return true
            }
            guard accepted else {
                for worker in started { await worker.stop() }
                return
            }
            for worker in started { watch(worker) }
        }
    }

    /// Stops the `count` least busy workers (after their calls finish; see `InferenceWorker.stop`).
    func shrink(by count: Int) async {
        let removed = state.withLock { state -> [any InferenceWorker] in
            let chosen = state.workers.sorted { $0.inFlight < $1.inFlight }.prefix(count).map(\.name)
            let removed = state.workers.filter { chosen.contains($0.name) }
            state.workers.removeAll { chosen.contains($0.name) }
            return removed
        }
        for worker in removed { await Self.drain(worker) }
    }

    /// The least busy worker, preferring one not named `avoiding`; nil when the pool has none.
    func pick(avoiding: String? = nil) -> (any InferenceWorker)? {
        state.withLock { state in
            var best: (any InferenceWorker)?
            var bestLoad = Int.max
            for worker in state.workers {
                let load = worker.inFlight + (worker.name == avoiding ? 1_000_000 : 0)
                if load < bestLoad {
                    best = worker
                    bestLoad = load
                }
            }
            return best
        }
    }

    /// Closes the pool and stops every worker once its calls are answered (at most 30 s).
    func close() async {
        let workers = state.withLock { state -> [any InferenceWorker] in
            state.closed = true
            defer { state.workers = [] }
            return state.workers
        }
        await withTaskGroup(of: Void.self) { group in
            for worker in workers { group.addTask { await Self.drain(worker) } }
        }
    }

    private static func drain(_ worker: any InferenceWorker) async {
        let deadline = ContinuousClock.now + .seconds(30)
        while worker.inFlight > 0, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        await worker.stop()
    }

    /// Replaces `worker` when its process ends while it is still in the pool.
    private func watch(_ worker: any InferenceWorker) {
        Task {
            let ending = await worker.waitUntilExited()
            let replace = state.withLock { state -> Bool in
                guard !state.closed, state.workers.contains(where: { $0.name == worker.name }) else { return false }
                state.workers.removeAll { $0.name == worker.name }
                let now = ContinuousClock.now
                state.recentFailures = state.recentFailures.filter { now - $0 < .seconds(60) } + [now]
                return state.recentFailures.count <= 5
            }
            guard replace else { return }
            logger.warning("A model worker ended; starting another", metadata: ["pool": "\(label)", "ending": "\(ending)"])
            do {
                try await grow(by: 1)
            } catch {
                logger.error("Could not replace a model worker", metadata: ["pool": "\(label)", "error": "\(error)"])
            }
        }
    }

    private static func newName() -> String {
        "w" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }
}
