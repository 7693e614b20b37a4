import Foundation
import Logging
import NIOCore
import OspreyCompute
public import OspreyCore
public import OspreyServices
import Synchronization

/// The data plane of real-time endpoints: brings up each variant's model workers, routes invocations to them by weight,
/// and swaps fleets when an endpoint is updated.
///
/// The routing table is read without suspending (a lock around a dictionary of immutable fleets), so an invocation costs
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
    private let logger: Logger
    private let fleets = Mutex<[String: Fleet]>([:])

    public init(
        objects: ObjectService, images: ImageService, environments: PythonEnvironments, executor: LocalExecutor, dataDir: String,
        hiddenPaths: [String], logger: Logger
    ) {
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
    ///
    /// Throws `.notFound` for an endpoint with no fleet here and `.validation` for an unknown variant; `.unavailable` when no
    /// worker could answer. A model's own error is an answer with its status, not a throw.
    public func invoke(endpointName: String, accountId: String, targetVariant: String?, request: InvocationRequest) async throws -> Routed {
        guard let fleet = fleets.withLock({ $0[Self.key(accountId, endpointName)] }) else {
            throw OspreyError(.notFound, "Endpoint \(endpointName) of account \(accountId) not found.")
        }
        let variant = try fleet.choose(targetVariant)
        var message = request
        var response = InvocationResponse(status: 500, body: ByteBuffer())
        for (index, stage) in variant.stages.enumerated() {
            if index < variant.stages.count - 1 { message.accept = nil }
            response = try await call(stage, message, retry: true)
            guard (200..<300).contains(response.status), index < variant.stages.count - 1 else { break }
            message = InvocationRequest(
                body: response.body, contentType: response.contentType, accept: request.accept, customAttributes: request.customAttributes)
        }
        return Routed(variant: variant.name, response: response)
    }

    private func call(_ pool: WorkerPool, _ request: InvocationRequest, retry: Bool, avoiding: String? = nil) async throws -> InvocationResponse {
        guard let worker = pool.pick(avoiding: avoiding) else {
            throw OspreyError(.unavailable, "No model worker of \(pool.label) is running; the endpoint is starting one.")
        }
        do {
            return try await worker.invoke(request)
        } catch let error as OspreyError where retry && error.workerFailure?.retryable == true {
            return try await call(pool, request, retry: false, avoiding: worker.name)
        }
    }

    // MARK: EndpointRuntime

    public func deploy(_ endpoint: Endpoint, config: EndpointConfigRecord, models: [ModelRecord], progress: DeploymentProgress) async throws {
        let key = Self.key(endpoint.accountId, endpoint.name)
        let generation = UUID().uuidString.lowercased().prefix(8)
        let root = "\(dataDir)/endpoints/\(endpoint.accountId)/\(endpoint.name)/\(generation)"
        var variants: [Fleet.Variant] = []
        do {
            for spec in config.variants {
                guard let model = models.first(where: { $0.name == spec.modelName }) else {
                    throw OspreyError(.validation, "Could not find model \"\(spec.modelName)\" of variant \(spec.name).")
                }
                var stages: [WorkerPool] = []
                variants.append(Fleet.Variant(name: spec.name, weight: spec.weight, instanceCount: spec.instanceCount, stages: []))
                for (index, container) in model.containers.enumerated() {
                    let pool = try await startPool(
                        container, index: index, of: model, variant: spec, endpoint: endpoint, folder: "\(root)/\(spec.name)/\(index)")
                    stages.append(pool)
                    variants[variants.count - 1].stages = stages
                }
            }
        } catch {
            for variant in variants { for pool in variant.stages { await pool.close() } }
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
        let previous = fleets.withLock { $0.updateValue(Fleet(root: root, variants: variants), forKey: key) }
        if let previous { await previous.close() }
    }

    public func updateWeights(_ endpoint: Endpoint, variants: [EndpointVariant]) async throws {
        let key = Self.key(endpoint.accountId, endpoint.name)
        guard let fleet = fleets.withLock({ $0[key] }) else {
            throw OspreyError(.validation, "Endpoint \(endpoint.name) has no running fleet to update.")
        }
        var updated = fleet
        for wanted in variants {
            guard let index = updated.variants.firstIndex(where: { $0.name == wanted.name }) else {
                throw OspreyError(.validation, "The endpoint has no variant \(wanted.name).")
            }
            let variant = updated.variants[index]
            if wanted.desiredInstanceCount != variant.instanceCount {
                for pool in variant.stages {
                    let perInstance = max(1, pool.count / max(1, variant.instanceCount))
                    let change = (wanted.desiredInstanceCount - variant.instanceCount) * perInstance
                    if change > 0 { try await pool.grow(by: change) } else { await pool.shrink(by: -change) }
                }
            }
            updated.variants[index].weight = wanted.desiredWeight
            updated.variants[index].instanceCount = wanted.desiredInstanceCount
        }
        fleets.withLock { $0[key] = updated }
    }

    public func undeploy(endpointName: String, accountId: String) async {
        let fleet = fleets.withLock { $0.removeValue(forKey: Self.key(accountId, endpointName)) }
        await fleet?.close()
        try? FileManager.default.removeItem(atPath: "\(dataDir)/endpoints/\(accountId)/\(endpointName)")
    }

    /// Stops every worker (server shutdown).
    public func shutdown() async {
        let all = fleets.withLock { fleets -> [Fleet] in
            defer { fleets = [:] }
            return Array(fleets.values)
        }
        for fleet in all { await fleet.close() }
    }

    // MARK: Workers

    /// Stages the container's model, prepares its Python environment and starts its workers.
    private func startPool(
        _ container: ModelContainer, index: Int, of model: ModelRecord, variant: VariantSpec, endpoint: Endpoint, folder: String
    ) async throws -> WorkerPool {
        var environment = try await ModelStager(objects: objects).stage(container, accountId: endpoint.accountId, into: folder)
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
        let executor = self.executor
        let hiddenPaths = self.hiddenPaths
        let command = serveCommand ?? [python]
        let variables = environment
        let pool = WorkerPool(label: "\(endpoint.name)/\(variant.name)/\(index)", logger: logger) { name in
            let launch = WorkerLaunch(
                name: name, folder: folder, command: command, environment: variables, logDirectory: logs,
                hiddenPaths: hiddenPaths, invocationTimeout: timeout)
            if serveCommand != nil { return try await HTTPContractWorker.start(launch, executor: executor) }
            return try await PythonWorker.start(launch, executor: executor)
        }
        try await pool.grow(by: variant.instanceCount * Self.workersPerInstance(variables, instanceCount: variant.instanceCount))
        return pool
    }

    /// `SAGEMAKER_MODEL_SERVER_WORKERS` (the SageMaker containers' setting), else the machine's cores shared by the instances.
    static func workersPerInstance(_ environment: [String: String], instanceCount: Int) -> Int {
        if let given = environment["SAGEMAKER_MODEL_SERVER_WORKERS"].flatMap(Int.init), given >= 1 { return min(given, 32) }
        return max(1, min(4, ProcessInfo.processInfo.activeProcessorCount / max(1, instanceCount)))
    }

    static func key(_ accountId: String, _ endpoint: String) -> String { accountId + "/" + endpoint }
}

/// One endpoint's running variants: immutable, replaced whole when weights or configurations change.
struct Fleet: Sendable {
    struct Variant: Sendable {
        var name: String
        var weight: Double
        var instanceCount: Int
        /// One pool per container, in invocation order.
        var stages: [WorkerPool]
    }

    /// The folder of this fleet's models and logs.
    var root: String
    var variants: [Variant]

    /// `target` when given (throws `.validation` when there is no such variant), else a variant drawn by weight.
    func choose(_ target: String?) throws -> Variant {
        if let target {
            guard let variant = variants.first(where: { $0.name == target }) else {
                throw OspreyError(.validation, "Variant \(target) not found for the endpoint.")
            }
            return variant
        }
        let total = variants.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { throw OspreyError(.validation, "No variant of the endpoint takes traffic (every weight is 0).") }
        var draw = Double.random(in: 0..<total)
        for variant in variants where variant.weight > 0 {
            if draw < variant.weight { return variant }
            draw -= variant.weight
        }
        return variants.last { $0.weight > 0 }!
    }

    func close() async {
        for variant in variants { for pool in variant.stages { await pool.close() } }
        try? FileManager.default.removeItem(atPath: root)
    }
}
