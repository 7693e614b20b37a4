import Foundation
import Logging
import NIOCore
import OspreyCompute
public import OspreyCore
public import OspreyServices
import Synchronization

/// The data plane of real-time endpoints: brings up each variant's model workers, routes invocations to them by weight,
/// and moves traffic to a new fleet when an endpoint is updated (see `deploy`).
///
/// The routing table is read without suspending (a lock around a dictionary of immutable routes), so an invocation costs
/// one lookup, one weighted choice and one call to the least busy worker.
public final class ServingRuntime: EndpointRuntime {
    /// What a worker answered and which variant answered it.
    public struct Routed: Sendable {
        public var variant: String
        public var response: InvocationResponse
    }

    private let objects: ObjectService
    private let images: ImageService
    private let environments: PythonEnvironments
    private let executor: LocalExecutor
    private let dataDir: String
    private let hiddenPaths: [String]
    let logger: Logger
    let store: any MetadataStore
    let clock: any WallClock
    private let routes = Mutex<[String: Route]>([:])

    public init(
        store: any MetadataStore, objects: ObjectService, images: ImageService, environments: PythonEnvironments, executor: LocalExecutor,
        dataDir: String, hiddenPaths: [String], clock: any WallClock, logger: Logger
    ) {
        self.store = store
        self.clock = clock
        self.objects = objects
        self.images = images
        self.environments = environments
        self.executor = executor
        self.dataDir = dataDir
        self.hiddenPaths = hiddenPaths
        self.logger = logger
    }

    // MARK: Invocations

    /// Sends `request` through the endpoint: to `targetVariant`, or to a variant chosen by weight; through each container
    /// of an inference pipeline in turn. A worker that ends before answering gets the request once more on another worker.
    /// During a deployment, the new fleet's share of requests goes to it; one it fails is answered by the old fleet.
    ///
    /// Throws `.notFound` for an endpoint with no fleet here and `.validation` for an unknown variant; `.unavailable` when no
    /// worker could answer. A model's own error is an answer with its status, not a throw.
    public func invoke(endpointName: String, accountId: String, targetVariant: String?, request: InvocationRequest) async throws -> Routed {
        guard let route = routes.withLock({ $0[Self.key(accountId, endpointName)] }) else {
            throw OspreyError(.notFound, "Endpoint \(endpointName) of account \(accountId) not found.")
        }
        guard let shift = route.shift, shift.fleet.serves(targetVariant),
            targetVariant != nil || !route.primary.serves(nil) || Double.random(in: 0..<1) < shift.share
        else { return try await route.primary.invoke(targetVariant, request) }
        let started = ContinuousClock.now
        var failure: (any Error)?
        do {
            let routed = try await shift.fleet.invoke(targetVariant, request)
            let succeeded = (200..<300).contains(routed.response.status)
            shift.stats.record(succeeded: succeeded, latency: ContinuousClock.now - started)
            if succeeded || !route.primary.serves(targetVariant) { return routed }
        } catch {
            shift.stats.record(succeeded: false, latency: ContinuousClock.now - started)
            failure = error
        }
        // The new fleet failed this request: the old one answers it, so the caller never sees the deployment.
        guard route.primary.serves(targetVariant) else { throw failure! }
        return try await route.primary.invoke(targetVariant, request)
    }

    /// Invocations each variant of the endpoint has taken since its fleet started (old and new fleet summed during a
    /// deployment); empty for an endpoint with no fleet here.
    public func invocationCounts(endpointName: String, accountId: String) -> [String: Int] {
        guard let route = routes.withLock({ $0[Self.key(accountId, endpointName)] }) else { return [:] }
        var counts: [String: Int] = [:]
        for variant in route.primary.variants + (route.shift?.fleet.variants ?? []) { counts[variant.name, default: 0] += variant.invocations.value }
        return counts
    }

    // MARK: EndpointRuntime

    /// Brings up the fleet of `config`. Creating (or recovering) an endpoint swaps it in at once. Updating one that serves
    /// is a blue/green deployment: the new fleet takes traffic as the endpoint's `DeploymentConfig` says (all at once, a
    /// canary, or linear steps, each followed by its wait interval), its rollback alarms are checked throughout, and on an
    /// alarm (or cancellation) traffic returns to the old fleet, the new one is stopped and this throws the alarm's reason.
    public func deploy(_ endpoint: Endpoint, config: EndpointConfigRecord, models: [ModelRecord], progress: DeploymentProgress) async throws {
        let key = Self.key(endpoint.accountId, endpoint.name)
        let fleet = try await startFleet(endpoint, config: config, models: models)
        let serving = routes.withLock { $0[key]?.primary }
        guard endpoint.status == .updating, let old = serving else {
            let previous = routes.withLock { $0.updateValue(Route(primary: fleet), forKey: key) }
            await previous?.close()
            return
        }
        let policy = endpoint.deployment
        do {
            try await shiftTraffic(key, to: fleet, policy: policy)
        } catch {
            let reason = (error as? OspreyError)?.message ?? "The deployment was cancelled."
            await progress.rollingBack(reason: reason)
            routes.withLock { $0[key]?.shift = nil }
            await fleet.close()
            throw OspreyError(.validation, reason, cause: error)
        }
        routes.withLock { $0[key] = Route(primary: fleet) }
        let wait = Duration.seconds(policy?.terminationWaitSeconds ?? 0)
        Task {
            try? await Task.sleep(for: wait)
            await old.close()
        }
    }

    /// Moves traffic to `fleet` step by step, checking the alarms during each step's wait; throws when one goes off.
    private func shiftTraffic(_ key: String, to fleet: Fleet, policy: DeploymentPolicy?) async throws {
        let stats = DeploymentStats()
        let wait = Duration.seconds(policy?.trafficRouting?.waitIntervalSeconds ?? 0)
        for share in DeploymentSteps.shares(policy?.trafficRouting, instanceCount: fleet.instanceCount) {
            stats.reset()
            routes.withLock { $0[key]?.shift = Route.Shift(fleet: fleet, share: share, stats: stats) }
            let deadline = ContinuousClock.now + wait
            repeat {
                if let alarm = stats.tripped(policy?.alarms ?? []) {
                    throw OspreyError(.validation, "Rolled back: \(alarm) on the new fleet at \(Int(share * 100))% of traffic.")
                }
                try await Task.sleep(for: .milliseconds(50))
            } while ContinuousClock.now < deadline
        }
    }

    public func updateWeights(_ endpoint: Endpoint, variants: [EndpointVariant]) async throws {
        let key = Self.key(endpoint.accountId, endpoint.name)
        guard var fleet = routes.withLock({ $0[key]?.primary }) else {
            throw OspreyError(.validation, "Endpoint \(endpoint.name) has no running fleet to update.")
        }
        for wanted in variants {
            guard let index = fleet.variants.firstIndex(where: { $0.name == wanted.name }) else {
                throw OspreyError(.validation, "The endpoint has no variant \(wanted.name).")
            }
            let variant = fleet.variants[index]
            if wanted.desiredInstanceCount != variant.instanceCount {
                for stage in variant.stages { try await stage.resize(from: variant.instanceCount, to: wanted.desiredInstanceCount) }
            }
            fleet.variants[index].weight = wanted.desiredWeight
            fleet.variants[index].instanceCount = wanted.desiredInstanceCount
        }
        routes.withLock { $0[key]?.primary = fleet }
    }

    public func undeploy(endpointName: String, accountId: String) async {
        let route = routes.withLock { $0.removeValue(forKey: Self.key(accountId, endpointName)) }
        await route?.close()
        try? FileManager.default.removeItem(atPath: "\(dataDir)/endpoints/\(accountId)/\(endpointName)")
    }

    /// Stops every worker (server shutdown).
    public func shutdown() async {
        let all = routes.withLock { routes -> [Route] in
            defer { routes = [:] }
            return Array(routes.values)
        }
        for route in all { await route.close() }
    }

    // MARK: Fleets

    /// Starts every variant of `config`; on a failure, what was started is stopped and the error thrown.
    private func startFleet(_ endpoint: Endpoint, config: EndpointConfigRecord, models: [ModelRecord]) async throws -> Fleet {
        let generation = UUID().uuidString.lowercased().prefix(8)
        var fleet = Fleet(root: "\(dataDir)/endpoints/\(endpoint.accountId)/\(endpoint.name)/\(generation)", variants: [])
        fleet.capture = DataCapture.start(
            config.dataCapture, endpointName: endpoint.name, accountId: endpoint.accountId, sink: objects, logger: logger)
        fleet.logs = WorkerLogs(
            store: store, accountId: endpoint.accountId, group: WorkerLogs.endpointGroup(endpoint.name),
            folders: config.variants.map { (fleet.root + "/" + $0.name, $0.name) }, generation: String(generation), clock: clock,
            logger: logger)
        do {
            for spec in config.variants {
                guard let model = models.first(where: { $0.name == spec.modelName }) else {
                    throw OspreyError(.validation, "Could not find model \"\(spec.modelName)\" of variant \(spec.name).")
                }
                fleet.variants.append(Fleet.Variant(name: spec.name, weight: spec.weight, instanceCount: spec.instanceCount, stages: []))
                for (index, container) in model.containers.enumerated() {
                    let stage = try await startStage(
                        container, label: "\(endpoint.name)/\(spec.name)/\(index)", accountId: endpoint.accountId,
                        instances: spec.instanceCount, folder: "\(fleet.root)/\(spec.name)/\(index)")
                    fleet.variants[fleet.variants.count - 1].stages.append(stage)
                }
            }
        } catch {
            await fleet.close()
            throw error
        }
        return fleet
    }

    /// The stage of one container: its workers, or for a multi-model container, a stage that loads models on demand.
    private func startStage(_ container: ModelContainer, label: String, accountId: String, instances: Int, folder: String) async throws
        -> any ServingStage
    {
        guard container.mode == .multiModel else {
            return try await startPool(container, label: label, accountId: accountId, instances: instances, folder: folder)
        }
        guard let data = container.modelData else {
            throw OspreyError(.validation, "A MultiModel container needs a ModelDataUrl: the S3 prefix of its model archives.")
        }
        var single = container
        single.mode = .singleModel
        let prefix = try S3URI(data.uri, field: "ModelDataUrl")
        return MultiModelStage(
            label: label, prefix: prefix, accountId: accountId, folder: folder, instances: instances,
            budgetBytes: MultiModelStage.budget(container.environment), objects: objects, logger: logger
        ) { [single] uri, modelFolder, instances in
            var model = single
            model.modelData = ModelData(uri: uri, isArchive: true, isPrefix: false)
            return try await self.startPool(model, label: label, accountId: accountId, instances: instances, folder: modelFolder)
        }
    }

    /// Stages the container's model (one model: a multi-model container is a `MultiModelStage`), prepares its Python
    /// environment and starts its workers.
    func startPool(_ container: ModelContainer, label: String, accountId: String, instances: Int, folder: String) async throws -> WorkerPool {
        var environment = try await ModelStager(objects: objects).stage(container, accountId: accountId, into: folder)
        let logs = folder + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let setupLog = LogFileAppender(path: logs + "/setup.log")
        let imageEnvironment = try await images.resolve(container.image, kind: "inference image")
        var python = try await environments.python(for: imageEnvironment) { setupLog.append($0) }
        python = try await environments.adding(requirements: folder + "/model/code/requirements.txt", to: python) { setupLog.append($0) }
        let bin = (python as NSString).deletingLastPathComponent
        environment["PATH"] = bin + ":" + (LaunchSpec.defaultBaseEnvironment()["PATH"] ?? "/usr/bin:/bin")
        let timeout = environment["SAGEMAKER_MODEL_SERVER_TIMEOUT"].flatMap(Int.init).map { Duration.seconds($0) } ?? .seconds(60)
        let serveCommand = environment["OSPREY_SERVING_COMMAND"]?.split(whereSeparator: \.isWhitespace).map(String.init)
        let command = serveCommand ?? [python]
        let variables = environment
        let executor = self.executor
        let hiddenPaths = self.hiddenPaths
        let health = Duration.seconds(variables["OSPREY_HEALTH_CHECK_SECONDS"].flatMap(Int.init).map { max(1, $0) } ?? 10)
        let pool = WorkerPool(label: label, logger: logger, batching: Batcher.Settings(variables), healthCheckInterval: health) { name in
            let launch = WorkerLaunch(
                name: name, folder: folder, command: command, environment: variables, logDirectory: logs,
                hiddenPaths: hiddenPaths, invocationTimeout: timeout)
            if serveCommand != nil { return try await HTTPContractWorker.start(launch, executor: executor) }
            return try await PythonWorker.start(launch, executor: executor)
        }
        try await pool.grow(by: instances * Self.workersPerInstance(variables, instanceCount: instances))
        return pool
    }

    /// `SAGEMAKER_MODEL_SERVER_WORKERS` (the SageMaker containers' setting), else the machine's cores shared by the instances.
    static func workersPerInstance(_ environment: [String: String], instanceCount: Int) -> Int {
        if let given = environment["SAGEMAKER_MODEL_SERVER_WORKERS"].flatMap(Int.init), given >= 1 { return min(given, 32) }
        return max(1, min(4, ProcessInfo.processInfo.activeProcessorCount / max(1, instanceCount)))
    }

    static func key(_ accountId: String, _ endpoint: String) -> String { accountId + "/" + endpoint }
}

/// Where an endpoint's requests go: its serving fleet and, during a deployment, the new fleet and its share of traffic.
struct Route: Sendable {
    struct Shift: Sendable {
        var fleet: Fleet
        /// The fraction of requests (without a target variant) the new fleet takes.
        var share: Double
        var stats: DeploymentStats
    }

    var primary: Fleet
    var shift: Shift?

    func close() async {
        await primary.close()
        await shift?.fleet.close()
    }
}
