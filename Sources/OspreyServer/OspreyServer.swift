import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OspreyArtifacts
import OspreyCompute
import OspreyCore
import OspreyServices
import OspreyServing
import OspreyStore
import ServiceLifecycle
import Synchronization

/// The composition root: opens the store and artifact store, makes the services and serves every protocol on one listener.
public struct OspreyServer: Sendable {
    public let configuration: ServerConfiguration
    let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT, or until `stop` (handed to `onListening` with the bound port) is called; both shut down
    /// gracefully.
    public func run(onListening: @escaping @Sendable (_ port: Int, _ stop: @escaping @Sendable () async -> Void) async -> Void = { _, _ in })
        async throws
    {
        let config = configuration
        let logger = self.logger
        let parts = try await ServerComponents.make(configuration: config, logger: logger)
        let groupBox = GroupBox()
        let app = Application(
            responder: parts.responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionOptionsHandler()], idleTimeout: .seconds(300))),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "Osprey"),
            services: parts.services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.port
                logger.notice("Osprey listening on http://\(config.host):\(port)")
                await onListening(port) { await groupBox.value?.triggerGracefulShutdown() }
            },
            logger: logger
        )
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        groupBox.value = serviceGroup
        try await serviceGroup.run()
    }
}

/// What a server is made of, built from its configuration: `OspreyServer` serves it; tests drive its responder in-process.
struct ServerComponents: Sendable {
    let store: SQLMetadataStore
    let responder: OspreyResponder
    /// Long-running parts, in start order (they stop in reverse): the store first, so it closes last.
    let services: [any Service]

    static func make(
        configuration config: ServerConfiguration, logger: Logger, clock: any WallClock = SystemClock()
    ) async throws -> ServerComponents
    {
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let masterKey = try MasterKey.loadOrCreate(dataDir: config.dataDir)
        let store = try await SQLMetadataStore.open(url: config.databaseURL, logger: logger)
        do {
            let blobs = try await artifactStore(config.artifactsURL)
            let keys = AccessKeyService(store: store, masterKey: masterKey, clock: clock)
            let secrets = SecretService(store: store, masterKey: masterKey, clock: clock)
            try await RootKey.ensure(keys: keys, configuration: config, logger: logger)
            let objects = ObjectService(
                store: store, blobs: blobs, clock: clock, ids: RandomIDGenerator(), deployment: Deployment(region: config.region)
            )
            try FileManager.default.createDirectory(atPath: config.dataDir + "/jobs", withIntermediateDirectories: true)
            let deployment = Deployment(region: config.region)
            let training = TrainingService(
                store: store, objects: objects, executor: LocalExecutor(logger: logger), dataDir: config.dataDir,
                environmentsDir: config.environmentsDir, hiddenPaths: config.pathsHiddenFromJobs, clock: clock, deployment: deployment,
                logger: logger, settings: config.training, secret: { account, name in try await secrets.value(accountId: account, name: name) }
            )
            await training.recoverAfterRestart()
            let images = ImageService(store: store, clock: clock)
            let runtime = ServingRuntime(
                store: store, objects: objects, images: images, environments: PythonEnvironments(root: config.environmentsDir),
                executor: LocalExecutor(logger: logger), dataDir: config.dataDir, hiddenPaths: config.pathsHiddenFromJobs, clock: clock,
                logger: logger)
            let serving = EndpointService(
                store: store, runtime: runtime, clock: clock, deployment: deployment, logger: logger,
                knownImage: { image, _ in (try? await images.resolve(image, kind: "inference image")) != nil })
            await serving.recoverAfterRestart()
            let transform = TransformService(
                store: store, objects: objects, endpoints: serving, runtime: runtime, dataDir: config.dataDir, clock: clock,
                deployment: deployment, logger: logger)
            await transform.recoverAfterRestart()
            let autoscaler = AutoScaler(
                store: store, endpoints: serving, invocations: { runtime.invocationCounts(endpointName: $0, accountId: $1) }, clock: clock,
                window: config.autoscaling.window, logger: logger)
            let authenticator = Authenticator(keys: keys, clock: clock)
            let responder = OspreyResponder(
                authenticator: authenticator,
                s3: S3Handler(objects: objects),
                native: NativeAPI(
                    keys: keys, events: EventService(store: store), webhooks: WebhookService(store: store, masterKey: masterKey, clock: clock),
                    secrets: secrets, training: training, images: images, metrics: TrainingMetricsService(store: store)
                ),
                logs: try LogsHandler(store: store, clock: clock, region: config.region),
                autoScaling: try AutoScalingHandler(
                    service: AutoScalingService(store: store, endpoints: serving, autoscaler: autoscaler, clock: clock, deployment: deployment)),
                sageMaker: SageMakerHandler(
                    authenticator: authenticator, training: training,
                    serving: ServingHandler(service: serving),
                    transform: TransformHandler(service: transform),
                    shapes: try AWSJSON.shapes(resource: "sagemaker-shapes"), clock: clock
                ),
                runtime: RuntimeHandler(authenticator: authenticator, runtime: runtime, endpoints: serving, region: config.region),
                v2: V2Handler(authenticator: authenticator, runtime: runtime, endpoints: serving),
                query: QueryProtocolHandler(),
                health: Health(store: store),
                metrics: RequestMetrics()
            )
            let webhooks = WebhookDispatcher(
                deliverer: WebhookDeliverer(store: store, masterKey: masterKey, clock: clock, logger: logger, send: WebhookDispatcher.send)
            )
            return ServerComponents(
                store: store, responder: responder,
                services: [
                    store, GarbageCollector(objects: objects, logger: logger), webhooks, WorkerShutdown(runtime: runtime),
                    TransformShutdown(service: transform), AutoScalerLoop(autoscaler: autoscaler, interval: config.autoscaling.interval),
                ]
            )
        } catch {
            await store.close()
            throw error
        }
    }

    static func artifactStore(_ url: String) async throws -> any ArtifactStore {
        if url.hasPrefix("file:") {
            var path = String(url.dropFirst("file:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            return try await LocalArtifactStore(root: path)
        }
        if url.hasPrefix("s3://") {
            return try S3ArtifactStore(url: url)
        }
        throw OspreyError(.validation, "Unsupported artifacts URL '\(url)': use file:<path> or s3://bucket/prefix?endpoint=http://…")
    }
}

/// Lets the running server's `stop` reach its service group.
final class GroupBox: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)

    var value: ServiceGroup? {
        get { group.withLock { $0 } }
        set { group.withLock { $0 = newValue } }
    }
}

/// Removes blobs a crash left unreferenced, once at start.
/// Stops every model worker when the server shuts down (before the store closes).
struct WorkerShutdown: Service {
    let runtime: ServingRuntime

    func run() async throws {
        try? await gracefulShutdown()
        await runtime.shutdown()
    }
}

struct GarbageCollector: Service {
    let objects: ObjectService
    let logger: Logger

    func run() async throws {
        do {
            let removed = try await objects.collectGarbage()
            if removed > 0 { logger.info("Removed \(removed) unreferenced blobs left by an earlier crash") }
        } catch {
            logger.warning("Blob garbage collection failed", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
    }
}
