import Foundation
import Logging
public import OspreyCore
public import OspreyServices

/// Batch transform jobs: validates and records them, runs each on its own fleet of the model's workers (started as an
/// endpoint's would be), and keeps their records and state-change events true.
///
/// Every change of a job goes through this actor; each is one transaction with its event. A job interrupted by a server
/// restart is run again from the start (outputs are only ever written whole, so a rerun overwrites them).
public actor TransformService {
    public static let eventType = "SageMaker Transform Job State Change"

    let store: any MetadataStore
    let objects: ObjectService
    let endpoints: EndpointService
    let runtime: ServingRuntime
    let dataDir: String
    let clock: any WallClock
    let deployment: Deployment
    let logger: Logger
    /// Running jobs by `account/name`: their task and the signal that stops them.
    private var runs: [String: (task: Task<Void, Never>, stop: StopSignal)] = [:]
    private var shuttingDown = false

    public init(
        store: any MetadataStore, objects: ObjectService, endpoints: EndpointService, runtime: ServingRuntime, dataDir: String,
        clock: any WallClock, deployment: Deployment, logger: Logger
    ) {
        self.store = store
        self.objects = objects
        self.endpoints = endpoints
        self.runtime = runtime
        self.dataDir = dataDir
        self.clock = clock
        self.deployment = deployment
        self.logger = logger
    }

    // MARK: API

    /// Validates and records a job (InProgress) and starts running it; returns at once. Bad input changes nothing.
    public func create(_ request: JSONValue, accountId: String) async throws -> TransformJob {
        let parsed = try TransformRequest(request)
        let model = try await endpoints.model(name: parsed.modelName, accountId: accountId)
        _ = try await objects.bucket(parsed.input.bucket, accountId: accountId)
        _ = try await objects.bucket(parsed.output.bucket, accountId: accountId)
        var stored = request
        if case .object(var members) = stored {
            members["Tags"] = nil
            stored = .object(members)
        }
        let arn = deployment.arn(account: accountId, resource: "transform-job/\(parsed.name.lowercased())")
        var job = TransformJob(
            name: parsed.name, accountId: accountId, arn: arn, request: stored, modelName: model.name, creationTime: clock.now())
        job.tags = TrainingService.tagMap(request["Tags"])
        job.model = model
        try await store.insertTransformJob(job, event: event(for: job))
        start(job, parsed, model: model)
        return job
    }

    public func describe(name: String, accountId: String) async throws -> TransformJob {
        guard let job = try await store.transformJob(name: name, accountId: accountId) else {
            throw OspreyError(.notFound, "Could not find requested job with name \(name)")
        }
        return job
    }

    public func list(_ query: TransformJobQuery) async throws -> [TransformJob] {
        try await store.transformJobs(query)
    }

    /// Asks a running job to stop: it turns Stopping, no new request is sent, and it turns Stopped once the requests in
    /// flight are answered (outputs already written stay).
    public func stop(name: String, accountId: String) async throws {
        let job = try await describe(name: name, accountId: accountId)
        if job.status == .stopping { return }
        let stopping = try await apply(.stopRequested, to: job)
        if let run = runs[key(job)] {
            run.stop.set()
        } else {
            // Nothing runs it here (its server is gone): it stops at once.
            _ = try await apply(.stopped, to: stopping)
        }
    }

    /// After a restart: a job that was InProgress runs again from the start; one that was Stopping is Stopped.
    public func recoverAfterRestart() async {
        do {
            for job in try await store.unfinishedTransformJobs() where runs[key(job)] == nil {
                if job.status == .stopping {
                    _ = try? await apply(.stopped, to: job)
                    continue
                }
                do {
                    guard let model = job.model else { throw OspreyError(.validation, "The job's model was not recorded.") }
                    logger.notice("Restarting a transform job the server was running", metadata: ["job": "\(job.name)"])
                    start(job, try TransformRequest(job.request), model: model)
                } catch {
                    let reason = (error as? OspreyError)?.message ?? "\(error)"
                    let why = "The Osprey server restarted while the job ran and could not run it again: \(reason)"
                    _ = try? await apply(.failed(reason: why), to: job)
                }
            }
        } catch {
            logger.error("Could not recover transform jobs after a restart", metadata: ["error": "\(error)"])
        }
    }

    /// Stops every running job's workers (server shutdown); the jobs stay InProgress and run again at the next start.
    public func shutdown() async {
        shuttingDown = true
        let running = Array(runs.values)
        for run in running { run.stop.set() }
        for run in running { await run.task.value }
    }

    // MARK: Running

    private func start(_ job: TransformJob, _ request: TransformRequest, model: ModelRecord) {
        let stop = StopSignal()
        runs[key(job)] = (Task { await self.run(job, request, model: model, stop: stop) }, stop)
    }

    private func run(_ job: TransformJob, _ request: TransformRequest, model: ModelRecord, stop: StopSignal) async {
        let folder = "\(dataDir)/transform/\(job.accountId)/\(job.name)"
        var fleet: ModelFleet?
        do {
            let inputs = try await objects.transformInputs(request, accountId: job.accountId)
            try stop.check()
            // A run cut short by a restart may have left its staged model here.
            try? FileManager.default.removeItem(atPath: folder)
            let started = try await runtime.startModelFleet(
                model, accountId: job.accountId, instanceCount: request.instanceCount, instanceType: request.instanceType,
                label: "transform-\(job.name)", folder: folder, logPrefix: job.name, environment: request.containerEnvironment())
            fleet = started
            try stop.check()
            _ = try await apply(.started, to: job)
            let concurrency = max(1, request.maxConcurrent ?? started.workerCount)
            let run = TransformRun(
                request: request, accountId: job.accountId, objects: objects, fleet: started, concurrency: concurrency, stop: stop)
            try await run.run(inputs)
            await fleet?.close()
            await finish(job, .completed)
        } catch {
            await fleet?.close()
            if error is TransformStopped || stop.isSet {
                if !shuttingDown { await finish(job, .stopped) }
            } else {
                let reason = (error as? OspreyError)?.message ?? "\(error)"
                logger.info("Transform job failed", metadata: ["job": "\(job.name)", "reason": "\(reason)"])
                await finish(job, .failed(reason: "ClientError: \(reason)"))
            }
        }
        runs[key(job)] = nil
    }

    /// Moves the job to its end; a job asked to stop while its last requests completed ends Stopped.
    private func finish(_ job: TransformJob, _ end: TransformJobEvent) async {
        guard let current = try? await store.transformJob(name: job.name, accountId: job.accountId), !current.status.isTerminal else { return }
        let event = current.status == .stopping && end == .completed ? .stopped : end
        do {
            _ = try await apply(event, to: current)
        } catch {
            logger.error("Could not record the end of a transform job", metadata: ["job": "\(job.name)", "error": "\(error)"])
        }
    }

    // MARK: State

    private func key(_ job: TransformJob) -> String { job.accountId + "/" + job.name }

    /// Applies a lifecycle event to the stored job (re-read, so concurrent changes are seen) and writes it with its event.
    @discardableResult
    private func apply(_ change: TransformJobEvent, to job: TransformJob) async throws -> TransformJob {
        let current = try await store.transformJob(name: job.name, accountId: job.accountId) ?? job
        let time = max(clock.now(), current.lastModifiedTime.addingTimeInterval(0.001))
        let next = try TransformJobLifecycle.apply(change, to: current, at: time)
        let event = TransformJobLifecycle.changesStatus(change) ? event(for: next) : nil
        guard try await store.updateTransformJob(next, expectedModified: current.lastModifiedTime, event: event) else {
            throw OspreyError(.alreadyExists, "Transform job \(job.name) was changed by another server while this one updated it.")
        }
        return next
    }

    private func event(for job: TransformJob) -> NewEvent {
        var detail: [String: JSONValue] = [
            "TransformJobName": .string(job.name), "TransformJobArn": .string(job.arn), "TransformJobStatus": .string(job.status.rawValue),
            "ModelName": .string(job.modelName), "CreationTime": millis(job.creationTime),
        ]
        if let reason = job.failureReason { detail["FailureReason"] = .string(reason) }
        if let output = job.request["TransformOutput"] { detail["TransformOutput"] = output }
        if let end = job.transformEndTime { detail["TransformEndTime"] = millis(end) }
        return NewEvent(
            type: Self.eventType, accountId: job.accountId, resource: job.arn, detail: JSONValue.object(detail).text, time: job.lastModifiedTime)
    }

    private func millis(_ date: Date) -> JSONValue { .number((date.timeIntervalSince1970 * 1000).rounded()) }
}
