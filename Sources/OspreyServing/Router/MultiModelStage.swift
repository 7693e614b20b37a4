import Foundation
import Logging
import OspreyCore
import OspreyServices
import Synchronization

/// A multi-model container (`Mode: MultiModel`): each request's `TargetModel` names an archive under the container's
/// `ModelDataUrl` prefix, loaded into workers of its own on first use.
///
/// Models not used for longest are unloaded when the workers' resident memory outgrows the budget
/// (`OSPREY_MULTI_MODEL_MEMORY_MB`, default a quarter of the machine's memory). A model whose object changed (a new ETag,
/// checked at most every two seconds) is loaded again beside the old version, which keeps answering until the new one is
/// ready and is then stopped once its calls are answered: a version swap drops no call.
final class MultiModelStage: ServingStage {
    /// Starts the workers of one model staged from `uri` into `folder`, for `instances` instances.
    typealias Loader = @Sendable (_ uri: String, _ folder: String, _ instances: Int) async throws -> WorkerPool

    private struct Loaded {
        var pool: WorkerPool
        var etag: String
        var folder: String
        var lastUsed: ContinuousClock.Instant
        var lastChecked: ContinuousClock.Instant
    }

    private struct State {
        var models: [String: Loaded] = [:]
        var loading: [String: Task<WorkerPool, any Error>] = [:]
        var instances: Int
        var closed = false
    }

    let label: String
    private let prefix: S3URI
    private let accountId: String
    private let folder: String
    private let objects: ObjectService
    private let budgetBytes: Int64
    private let load: Loader
    private let logger: Logger
    private let state: Mutex<State>

    init(
        label: String, prefix: S3URI, accountId: String, folder: String, instances: Int, budgetBytes: Int64, objects: ObjectService,
        logger: Logger, load: @escaping Loader
    ) {
        self.label = label
        self.prefix = prefix
        self.accountId = accountId
        self.folder = folder
        self.objects = objects
        self.budgetBytes = budgetBytes
        self.logger = logger
        self.load = load
        self.state = Mutex(State(instances: instances))
    }

    /// The budget a model's variables ask for.
    static func budget(_ environment: [String: String]) -> Int64 {
        if let megabytes = environment["OSPREY_MULTI_MODEL_MEMORY_MB"].flatMap(Int64.init), megabytes > 0 { return megabytes << 20 }
        return Int64(ProcessInfo.processInfo.physicalMemory / 4)
    }

    func invoke(_ request: InvocationRequest) async throws -> InvocationResponse {
        guard let target = request.targetModel, !target.isEmpty else {
            throw OspreyError(.validation, "This is a multi-model endpoint: name the model with the TargetModel header.")
        }
        guard !target.hasPrefix("/"), !target.split(separator: "/").contains("..") else {
            throw OspreyError(.validation, "TargetModel '\(target)' must be a key below the model data prefix.")
        }
        let now = ContinuousClock.now
        let (pool, check) = state.withLock { state -> (WorkerPool?, Bool) in
            guard var loaded = state.models[target] else { return (nil, false) }
            loaded.lastUsed = now
            let check = now - loaded.lastChecked > .seconds(2)
            if check { loaded.lastChecked = now }
            state.models[target] = loaded
            return (loaded.pool, check)
        }
        if let pool {
            if check { Task { await self.reloadIfChanged(target) } }
            return try await pool.invoke(request)
        }
        return try await loadedPool(target).invoke(request)
    }

    /// The pool of `target`, loading it (once, however many calls wait for it) when it is not loaded.
    private func loadedPool(_ target: String) async throws -> WorkerPool {
        let task = state.withLock { state -> Task<WorkerPool, any Error> in
            if let running = state.loading[target] { return running }
            let task = Task { try await self.start(target) }
            state.loading[target] = task
            return task
        }
        return try await task.value
    }

    private func start(_ target: String) async throws -> WorkerPool {
        defer { state.withLock { _ = $0.loading.removeValue(forKey: target) } }
        if let pool = state.withLock({ $0.models[target]?.pool }) { return pool }
        let record = try await object(target)
        let loaded = try await startVersion(target, record)
        let replaced = state.withLock { state -> Loaded? in
            guard !state.closed else { return loaded }
            defer { state.models[target] = loaded }
            return state.models[target]
        }
        if let replaced { await unload(replaced) }
        await evictOverBudget(keeping: target)
        return loaded.pool
    }

    private func startVersion(_ target: String, _ record: ObjectRecord) async throws -> Loaded {
        let plain = { (text: String) in String(text.map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(64)) }
        let modelFolder = folder + "/models/" + plain(target) + "-" + plain(record.etag)
        let instances = state.withLock { $0.instances }
        let pool = try await load("s3://\(record.bucket)/\(record.key)", modelFolder, instances)
        let now = ContinuousClock.now
        return Loaded(pool: pool, etag: record.etag, folder: modelFolder, lastUsed: now, lastChecked: now)
    }

    private func object(_ target: String) async throws -> ObjectRecord {
        let base = prefix.key.isEmpty || prefix.key.hasSuffix("/") ? prefix.key : prefix.key + "/"
        do {
            return try await objects.object(bucket: prefix.bucket, key: base + target, accountId: accountId)
        } catch let error as OspreyError where [.noSuchKey, .noSuchBucket, .notFound].contains(error.code) {
            throw OspreyError(.validation, "Could not find model '\(target)' at s3://\(prefix.bucket)/\(base)\(target).")
        }
    }

    /// Loads the new version of `target` when its object changed, then swaps it in and stops the old one.
    private func reloadIfChanged(_ target: String) async {
        guard let current = state.withLock({ $0.models[target] }), let record = try? await object(target), record.etag != current.etag else {
            return
        }
        do {
            let fresh = try await startVersion(target, record)
            let swapped = state.withLock { state -> Bool in
                guard !state.closed, state.models[target]?.etag == current.etag else { return false }
                state.models[target] = fresh
                return true
            }
            await unload(swapped ? current : fresh)
            logger.info("Swapped a multi-model endpoint's model to its new version", metadata: ["stage": "\(label)", "model": "\(target)"])
        } catch {
            logger.warning("Could not load a model's new version", metadata: ["stage": "\(label)", "model": "\(target)", "error": "\(error)"])
        }
    }

    /// Unloads the least recently used models (never `keeping`) while the workers' memory is over the budget.
    private func evictOverBudget(keeping: String) async {
        while true {
            let victim = state.withLock { state -> Loaded? in
                let total = state.models.values.reduce(Int64(0)) { $0 + $1.pool.residentBytes }
                guard total > budgetBytes,
                    let oldest = state.models.filter({ $0.key != keeping }).min(by: { $0.value.lastUsed < $1.value.lastUsed })
                else { return nil }
                state.models[oldest.key] = nil
                return oldest.value
            }
            guard let victim else { return }
            await unload(victim)
        }
    }

    private func unload(_ loaded: Loaded) async {
        await loaded.pool.close()
        try? FileManager.default.removeItem(atPath: loaded.folder)
    }

    /// The models loaded now, for tests and logs.
    var loadedModels: [String] { state.withLock { Array($0.models.keys).sorted() } }

    func resize(from old: Int, to new: Int) async throws {
        let pools = state.withLock { state -> [WorkerPool] in
            state.instances = new
            return state.models.values.map(\.pool)
        }
        for pool in pools { try await pool.resize(from: old, to: new) }
    }

    func close() async {
        let loaded = state.withLock { state -> [Loaded] in
            state.closed = true
            defer { state.models = [:] }
            return Array(state.models.values)
        }
        for model in loaded { await unload(model) }
    }
}
