import Foundation
import Glibc
import Logging
import NIOCore
public import OspreyCore
import OspreyCompute
import _NIOFileSystem
import OspreyArtifacts

/// Training jobs: creates them, runs them on the local executor with SageMaker's container contract, and keeps their
/// records, state-change events and logs true.
///
/// Every change of a job goes through this actor, so the record in memory and the store never disagree; each change is one
/// transaction with its event. Logs are stored from each host's log file at a committed offset before the job's status
/// turns terminal.
public actor TrainingService {
    public static let logGroup = "/aws/sagemaker/TrainingJobs"

    let store: any MetadataStore
    let objects: ObjectService
    let executor: LocalExecutor
    let dataDir: String
    /// Where Python environments live: outside the data folder, which jobs cannot see.
    let environmentsDir: String
    /// Folders hidden from jobs (the data folder, a local artifact store).
    let hiddenPaths: [String]
    let clock: any WallClock
    let deployment: Deployment
    let logger: Logger
    /// Opens a secret of an account by name (nil when there is none), for `osprey-secret:NAME` environment values.
    let secret: @Sendable (_ accountId: String, _ name: String) async throws -> String?
    let settings: TrainingSettings
    private let capacity: TrainingCapacity
    private let channelCache: ChannelCache
    private var stopRequests: Set<String> = []
    private var interruptRequests: Set<String> = []
    /// Jobs waiting for capacity: cancelling the wait stops the job before it runs.
    private var capacityWaits: [String: Task<Void, any Error>] = [:]

    /// Environment values of this form name a secret, resolved only in the job's process.
    public static let secretPrefix = "osprey-secret:"

    public init(
        store: any MetadataStore, objects: ObjectService, executor: LocalExecutor, dataDir: String, environmentsDir: String,
        hiddenPaths: [String], clock: any WallClock, deployment: Deployment, logger: Logger, settings: TrainingSettings = TrainingSettings(),
        secret: @escaping @Sendable (_ accountId: String, _ name: String) async throws -> String?
    ) {
        self.settings = settings
        self.capacity = TrainingCapacity(overrides: settings.slots)
        self.channelCache = ChannelCache(root: dataDir + "/cache/channels", limitBytes: settings.channelCacheBytes)
        self.secret = secret
        self.store = store
        self.objects = objects
        self.executor = executor
        self.dataDir = dataDir
        self.environmentsDir = environmentsDir
        self.hiddenPaths = hiddenPaths
        self.clock = clock
        self.deployment = deployment
        self.logger = logger
    }

    // MARK: API

    /// Records a new job (InProgress/Starting) and starts running it; returns at once.
    public func create(_ request: JSONValue, accountId: String) async throws -> TrainingJob {
        let parsed = try TrainingRequest(request, images: try await ImageService(store: store, clock: clock).resolver())
        try Names.validateResourceName(parsed.name, field: "trainingJobName")
        try capacity.check(type: parsed.instanceType, count: parsed.instanceCount)
        _ = try await objects.bucket(parsed.output.bucket, accountId: accountId)
        for (key, value) in parsed.environment.sorted(by: { $0.key < $1.key }) where value.hasPrefix(Self.secretPrefix) {
            let name = String(value.dropFirst(Self.secretPrefix.count))
            guard try await secret(accountId, name) != nil else {
                throw OspreyError(.validation, "Environment variable \(key) names the secret '\(name)', which does not exist (see `osprey secrets put`).")
            }
        }
        var stored = request
        if case .object(var members) = stored {
            members["Tags"] = nil
            stored = .object(members)
        }
        let arn = deployment.arn(account: accountId, resource: "training-job/\(parsed.name.lowercased())")
        var job = TrainingJob(name: parsed.name, accountId: accountId, arn: arn, request: stored, creationTime: clock.now())
        job.tags = Self.tagMap(request["Tags"])
        try await store.insertTrainingJob(job, event: event(for: job))
        // The group exists from the first job on, so clients that look for streams early find an empty group, not an error.
        try await store.createLogGroup(accountId: accountId, group: Self.logGroup, creationTime: Self.millis(job.creationTime))
        Task { await self.run(job, parsed) }
        return job
    }

    public func describe(name: String, accountId: String) async throws -> TrainingJob {
        guard let job = try await store.trainingJob(name: name, accountId: accountId) else {
            throw OspreyError(.notFound, "Requested resource not found: Training job \(name) does not exist.")
        }
        return job
    }

    public func list(_ query: TrainingJobQuery) async throws -> [TrainingJob] {
        try await store.trainingJobs(query)
    }

    /// The tags of the training job with this ARN. Throws `.notFound` for an ARN that names no job of the account.
    public func tags(arn: String, accountId: String) async throws -> [String: String] {
        try await job(arn: arn, accountId: accountId).tags ?? [:]
    }

    /// Adds or replaces tags (at most 50 per job) or removes keys, in one update of the job's record.
    public func updateTags(arn: String, accountId: String, set: [String: String], remove: [String]) async throws {
        var job = try await job(arn: arn, accountId: accountId)
        let expected = job.lastModifiedTime
        var tags = job.tags ?? [:]
        tags.merge(set) { $1 }
        for key in remove { tags[key] = nil }
        guard tags.count <= 50 else { throw OspreyError(.limitExceeded, "A resource can have at most 50 tags.") }
        job.tags = tags
        guard try await store.updateTrainingJob(job, expectedModified: expected, event: nil) else {
            throw OspreyError(.alreadyExists, "Training job \(job.name) changed while its tags were updated; try again.")
        }
    }

    private func job(arn: String, accountId: String) async throws -> TrainingJob {
        let prefix = deployment.arn(account: accountId, resource: "training-job/")
        guard arn.hasPrefix(prefix) else {
            throw OspreyError(.validation, "ResourceArn '\(arn)' is not the ARN of a training job of this account.")
        }
        var query = TrainingJobQuery(accountId: accountId)
        query.nameContains = String(arn.dropFirst(prefix.count))
        query.limit = 1000
        guard let job = try await store.trainingJobs(query).first(where: { $0.arn == arn }) else {
            throw OspreyError(.notFound, "Requested resource not found: \(arn) does not exist.")
        }
        return job
    }

    /// `[{"Key", "Value"}]` as a dictionary.
    public static func tagMap(_ value: JSONValue?) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in value?.arrayValue ?? [] {
            if let key = tag["Key"]?.stringValue { tags[key] = tag["Value"]?.stringValue ?? "" }
        }
        return tags
    }

    /// Asks a running job to stop: it turns Stopping, its processes get SIGTERM and then SIGKILL, and its model is still uploaded.
    public func stop(name: String, accountId: String) async throws {
        let job = try await describe(name: name, accountId: accountId)
        guard job.status == .inProgress else {
            throw OspreyError(.validation, "The request was rejected because the training job is in status \(job.status.rawValue).")
        }
        stopRequests.insert(key(job))
        _ = try await apply(.stopRequested, to: job)
        capacityWaits[key(job)]?.cancel()
    }

    /// Simulates a spot interruption of a running managed-spot job: its processes are stopped, its checkpoints synced, and
    /// it restarts after the spot restart delay (`osprey jobs interrupt`).
    public func interrupt(name: String, accountId: String) async throws {
        let job = try await describe(name: name, accountId: accountId)
        guard job.request["EnableManagedSpotTraining"]?.boolValue == true else {
            throw OspreyError(.validation, "Training job \(name) is not a managed spot training job; only those can be interrupted.")
        }
        guard job.status == .inProgress, job.secondaryStatus == .training else {
            throw OspreyError(
                .validation,
                "Training job \(name) can be interrupted only while it trains; it is \(job.status.rawValue)/\(job.secondaryStatus.rawValue).")
        }
        interruptRequests.insert(key(job))
    }

    /// After a restart: a job that was running when the server stopped has lost its supervisor. Its processes (found by pid
    /// and start time, so a reused pid is never touched) are stopped, the log lines they wrote are stored from the committed
    /// offset, and the job is marked Failed once its processes are really gone — it is never run twice nor left InProgress.
    public func recoverAfterRestart() async {
        do {
            for job in try await store.unfinishedTrainingJobs() {
                let processes = (try? job.runtime.map { try Self.decoder.decode([ProcessRecord].self, from: Data($0.text.utf8)) }) ?? nil
                let adopted = executor.adopt(processes ?? [])
                if adopted.isRunning {
                    await adopted.stop(grace: .seconds(2))
                    await adopted.waitUntilGone()
                }
                try? await flushLogs(of: job)
                _ = try? await apply(
                    .failed(reason: "The Osprey server restarted while the job ran; its processes were stopped and the job cannot resume."),
                    to: job)
            }
        } catch {
            logger.error("Could not recover training jobs after a restart", metadata: ["error": "\(error)"])
        }
    }

    /// Stores what a job's hosts wrote to their log files after the last committed offset.
    private func flushLogs(of job: TrainingJob) async throws {
        let root = "\(dataDir)/jobs/\(job.accountId)/\(job.name)"
        let streams = try await store.logStreams(
            accountId: job.accountId, group: Self.logGroup, prefix: job.name + "/", orderByLastEvent: false, descending: false, after: nil,
            limit: 100)
        var files: [String: String] = [:]
        var names: [String: String] = [:]
        for stream in streams {
            // `{job}/algo-{n}-{epoch}` → host `algo-{n}`.
            let host = String(stream.name.dropFirst(job.name.count + 1).split(separator: "-").prefix(2).joined(separator: "-"))
            files[host] = root + "/logs/" + host + ".log"
            names[host] = stream.name
        }
        let pump = LogPump(
            store: store, accountId: job.accountId, job: job.name, group: Self.logGroup, files: files, streams: names,
            metricDefinitions: LogPump.metricDefinitions(of: job.request),
            redactor: try await resolveSecrets(Self.environment(of: job), accountId: job.accountId).redactor, clock: clock)
        try await pump.flush(endOfStream: true)
    }

    private static let decoder = JSONDecoder()

    // MARK: Running a job

    /// Why a run of the job's processes ended.
    enum RunEnd: Sendable, Equatable {
        /// The processes ended by themselves.
        case exited
        case stopped(StopCause)
        /// Managed spot: the capacity was reclaimed (`osprey jobs interrupt`, or a random interruption).
        case interrupted
    }

    /// Waits for capacity, runs the job, and gives the capacity back.
    private func run(_ created: TrainingJob, _ request: TrainingRequest) async {
        let wait = Task {
            try await capacity.acquire(type: request.instanceType, count: request.instanceCount) { message in
                _ = try? await self.apply(.waiting(message: message), to: created)
            }
        }
        capacityWaits[key(created)] = wait
        let acquired = (try? await wait.value) != nil
        capacityWaits[key(created)] = nil
        guard acquired else {
            // Stopped while it waited: nothing ran, nothing to upload.
            if let current = try? await store.trainingJob(name: created.name, accountId: created.accountId), !current.status.isTerminal {
                _ = try? await apply(.stopped(.request), to: current)
            }
            stopRequests.remove(key(created))
            return
        }
        await execute(created, request)
        await capacity.release(type: request.instanceType, count: request.instanceCount)
    }

    private func execute(_ created: TrainingJob, _ request: TrainingRequest) async {
        var job = created
        let root = "\(dataDir)/jobs/\(job.accountId)/\(job.name)"
        do {
            job = try await apply(.downloading, to: job)
            let description = TrainingJobDescription(
                jobName: request.name, instanceCount: request.instanceCount, instanceType: request.instanceType,
                hyperparameters: request.hyperparameters,
                channels: Dictionary(
                    uniqueKeysWithValues: request.channels.map {
                        ($0.name, TrainingChannel(contentType: $0.contentType, inputMode: $0.inputMode, s3DistributionType: $0.sharded ? "ShardedByS3Key" : "FullyReplicated"))
                    }),
                environment: request.environment, cpuCount: ProcessInfo.processInfo.activeProcessorCount, masterPort: Self.freePort()
            )
            let contract = try TrainingContract(description)
            let layout = try JobLayout.prepare(jobRoot: root, contract: contract)
            try await download(request, into: layout, accountId: job.accountId)
            let python = try await python(
                for: request.pythonEnvironment, layout: layout, logDirectory: root + "/logs",
                codeChannel: request.entrypoint != nil && request.channels.contains { $0.name == "code" })
            let arguments = try request.entrypoint ?? contract.scriptModeArguments(python: python)
            let resolved = try await resolveSecrets(request.environment, accountId: job.accountId)
            let redactor = resolved.redactor
            var environment = resolved.environment
            let venvBin = (python as NSString).deletingLastPathComponent
            environment["PATH"] = venvBin + ":" + (LaunchSpec.defaultBaseEnvironment()["PATH"] ?? "/usr/bin:/bin")
            environment["TRAINING_JOB_NAME"] = request.name
            let spec = try LaunchSpec.training(
                contract: contract, layout: layout, arguments: arguments, environment: environment, logDirectory: root + "/logs",
                memoryLimitBytes: InstanceSize(request.instanceType).memoryGiB << 30, hiddenPaths: hiddenPaths
            )
            let epoch = Int(clock.now().timeIntervalSince1970)
            var streams: [String: String] = [:]
            var logFiles: [String: String] = [:]
            for (index, host) in layout.hosts.enumerated() {
                let stream = "\(request.name)/algo-\(index + 1)-\(epoch)"
                streams[host.hostName] = stream
                logFiles[host.hostName] = spec.logDirectory + "/" + host.hostName + ".log"
                try await store.createLogStream(
                    accountId: job.accountId, group: Self.logGroup, stream: stream, creationTime: Self.millis(clock.now()))
            }
            if stopRequested(job) { return try await finishStopped(job, layout: layout, request: request, cause: .request) }
            // One pump for every run of the processes: a restarted run appends to the same log files.
            let logs = LogPump(
                store: store, accountId: job.accountId, job: job.name, group: Self.logGroup, files: logFiles, streams: streams,
                metricDefinitions: request.metricDefinitions, redactor: redactor, clock: clock
            )
            let pump = Task { await logs.follow() }
            let checkpoints = request.checkpoint.map { CheckpointSync(objects: objects, uri: $0.uri, accountId: job.accountId) }
            let checkpointFolders = layout.hosts.map { $0.path + "/" + (request.checkpoint?.relativePath ?? "checkpoints") }
            var runtimeUsed: Duration = .zero
            var ended: RunEnd?
            var exits: [HostExit]
            var running: RunningJob
            repeat {
                try await checkpoints?.restore(into: checkpointFolders)
                job = try await apply(.training, to: job)
                let started = ContinuousClock.now
                running = try await executor.start(spec)
                if let host = layout.hosts.first, !running.notes.isEmpty, ended == nil {
                    LogFileAppender(path: root + "/logs/" + host.hostName + ".log").append(running.notes.joined(separator: "\n"))
                }
                // Where its processes are, so a restarted server can find and stop them.
                var withRuntime = try await describe(name: job.name, accountId: job.accountId)
                withRuntime.runtime = try JSONValue.parse(Array(JSONEncoder().encode(running.processes)))
                _ = try await store.updateTrainingJob(withRuntime, expectedModified: withRuntime.lastModifiedTime, event: nil)
                let syncing = checkpoints.map { sync in Task { await self.syncPeriodically(sync, folders: checkpointFolders) } }
                let watchdog = Task {
                    await self.watch(job: created, request: request, running: running, runtimeLeft: .seconds(request.maxRuntimeSeconds) - runtimeUsed)
                }
                exits = await running.wait()
                watchdog.cancel()
                ended = await watchdog.value
                syncing?.cancel()
                _ = await syncing?.value
                try await checkpoints?.upload(from: checkpointFolders)
                runtimeUsed += ContinuousClock.now - started
                if ended == .interrupted {
                    job = try await apply(.interrupted, to: job)
                    try? await Task.sleep(for: settings.spotRestartDelay)
                    if stopRequested(job) {
                        ended = .stopped(.request)
                    } else if let maxWait = request.maxWaitSeconds, clock.now().timeIntervalSince(job.creationTime) >= Double(maxWait) {
                        ended = .stopped(.maxWait)
                    } else {
                        job = try await apply(.restarting, to: job)
                    }
                }
            } while ended == .interrupted
            let end = ended ?? .exited
            pump.cancel()
            _ = await pump.value
            try await logs.flush(endOfStream: true)
            job.finalMetrics = await logs.finalMetrics
            interruptRequests.remove(key(job))
            if case .stopped(let cause) = end {
                return try await finishStopped(job, layout: layout, request: request, cause: cause)
            }
            if let failure = exits.first(where: { !$0.succeeded }) {
                let folder = layout.hosts.first { $0.hostName == failure.host }?.path ?? root
                let reason = FailureReason.describe(
                    hostFolder: folder, logFile: running.logFiles[failure.host], status: failure.status, redactor: redactor)
                job = try await apply(.failed(reason: reason), to: job)
                return
            }
            job = try await apply(.uploading, to: job)
            var done = try await upload(layout: layout, request: request, accountId: job.accountId)
            done.finalMetrics = job.finalMetrics
            done = try await apply(.completed, to: done)
        } catch {
            let reason = (error as? OspreyError)?.message ?? "\(error)"
            logger.warning("Training job failed before its code finished", metadata: ["job": "\(job.name)", "error": "\(error)"])
            if let current = try? await store.trainingJob(name: job.name, accountId: job.accountId), !current.status.isTerminal {
                _ = try? await apply(.failed(reason: "ClientError: \(reason)"), to: current)
            }
        }
    }

    /// Uploads changed checkpoint files every `checkpointSyncInterval` until cancelled.
    private func syncPeriodically(_ sync: CheckpointSync, folders: [String]) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.checkpointSyncInterval)
            do {
                try await sync.upload(from: folders)
            } catch {
                logger.warning("Could not sync checkpoints", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Sleeps until the job's processes must stop, stops them and says why; `.exited` when cancelled first (they ended).
    ///
    /// Stop requests are seen from this server at once and from the store (another server's StopTrainingJob) within a second.
    func watch(job: TrainingJob, request: TrainingRequest, running: RunningJob, runtimeLeft: Duration) async -> RunEnd {
        let runtimeDeadline = ContinuousClock.now + runtimeLeft
        let waitDeadline = request.maxWaitSeconds.map { job.creationTime.addingTimeInterval(Double($0)) }
        let tick = Duration.milliseconds(100)
        // Chance per tick of a random spot interruption.
        let interruptionChance = request.managedSpot ? settings.spotInterruptionsPerHour * 0.1 / 3600 : 0
        var ticks = 0
        while !Task.isCancelled {
            var end: RunEnd?
            if stopRequested(job) {
                end = .stopped(.request)
            } else if let waitDeadline, clock.now() >= waitDeadline {
                end = .stopped(.maxWait)
            } else if ContinuousClock.now >= runtimeDeadline {
                end = .stopped(.maxRuntime)
            } else if interruptRequests.contains(key(job)) || Double.random(in: 0..<1) < interruptionChance {
                interruptRequests.remove(key(job))
                end = .interrupted
            } else if ticks % 10 == 9, (try? await store.trainingJob(name: job.name, accountId: job.accountId))?.status == .stopping {
                stopRequests.insert(key(job))
                end = .stopped(.request)
            }
            if let end {
                await running.stop(grace: .seconds(5))
                return end
            }
            ticks += 1
            try? await Task.sleep(for: tick)
        }
        return .exited
    }

    private func finishStopped(_ job: TrainingJob, layout: JobLayout, request: TrainingRequest, cause: StopCause) async throws {
        var job = try await describe(name: job.name, accountId: job.accountId)
        if job.status == .inProgress { job = try await apply(.stopRequested, to: job) }
        job = try await apply(.uploading, to: job)
        job = try await upload(layout: layout, request: request, accountId: job.accountId)
        _ = try await apply(.stopped(cause), to: job)
        stopRequests.remove(key(job))
    }

    /// Packs `model/` (and `output/data/` when not empty) of the first host and puts them under the output path.
    private func upload(layout: JobLayout, request: TrainingRequest, accountId: String) async throws -> TrainingJob {
        guard let host = layout.hosts.first else { throw OspreyError(.internalError, "The job has no host folder.") }
        let model = layout.jobRoot + "/model.tar.gz"
        try TarArchive.pack(folder: host.modelDirectory, into: model)
        try await objects.upload(model, to: request.modelArtifacts, contentType: "application/x-tar", accountId: accountId)
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: host.outputDataDirectory), !contents.isEmpty {
            let output = layout.jobRoot + "/output.tar.gz"
            try TarArchive.pack(folder: host.outputDataDirectory, into: output)
            try await objects.upload(output, to: request.outputArchive, contentType: "application/x-tar", accountId: accountId)
        }
        var job = try await describe(name: request.name, accountId: accountId)
        job.modelArtifacts = request.modelArtifacts.description
        return job
    }

    // MARK: Data

    /// Places each channel's objects under its prefix into every host's channel folder (`ShardedByS3Key`: host i gets every
    /// i-th key), several at a time, from the channel cache; then fetches and extracts the source archive.
    private func download(_ request: TrainingRequest, into layout: JobLayout, accountId: String) async throws {
        var placements: [(bucket: String, key: String, destinations: [String])] = []
        for channel in request.channels {
            let (bucket, prefix, keys) = try await channelObjects(channel, accountId: accountId)
            guard !keys.isEmpty else {
                throw OspreyError(.validation, "No S3 objects found under S3 URL \"s3://\(bucket)/\(prefix)\" given in input data source.")
            }
            for (index, key) in keys.enumerated() {
                let relative = try relativePath(of: key, under: prefix)
                let destinations = layout.hosts.enumerated()
                    .filter { hostIndex, _ in !channel.sharded || index % layout.hosts.count == hostIndex }
                    .map { $0.element.channelDirectory(channel.name) + "/" + relative }
                placements.append((bucket, key, destinations))
            }
        }
        let objects = self.objects
        let cache = channelCache
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, placement) in placements.enumerated() {
                if index >= 8 { try await group.next() }
                group.addTask {
                    let record = try await objects.object(bucket: placement.bucket, key: placement.key, accountId: accountId)
                    try await cache.place(record, accountId: accountId, at: placement.destinations, objects: objects)
                }
            }
            try await group.waitForAll()
        }
        let program = request.hyperparameters["sagemaker_submit_directory"].map(Self.decodeHyperparameter)
        if let source = program, source.hasPrefix("s3://") {
            let uri = try S3URI(source, field: "sagemaker_submit_directory")
            let archive = layout.jobRoot + "/sourcedir.tar.gz"
            try await objects.download(try await objects.object(bucket: uri.bucket, key: uri.key, accountId: accountId), to: archive,
                                       accountId: accountId)
            for host in layout.hosts { try TarArchive.extract(archive, into: host.codeDirectory) }
        }
    }

    /// The interpreter to run the job with: the image's environment, plus `code/requirements.txt` when the source has one
    /// (with `codeChannel`, a job running its own entrypoint, as the SDK 3.x's: else the `code` channel's, so the SDK's
    /// own `pip install` of it lands in that cached environment, not the shared one); pip's output goes to the first host's log.
    private func python(
        for environment: ImageRegistry.Environment, layout: JobLayout, logDirectory: String, codeChannel: Bool
    ) async throws -> String {
        guard let host = layout.hosts.first else { throw OspreyError(.internalError, "The job has no host folder.") }
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let log = LogFileAppender(path: logDirectory + "/" + host.hostName + ".log")
        let environments = PythonEnvironments(root: environmentsDir)
        let python = try await environments.python(for: environment) { log.append($0) }
        var requirements = host.codeDirectory + "/requirements.txt"
        if codeChannel, !FileManager.default.fileExists(atPath: requirements) {
            requirements = host.channelDirectory("code") + "/requirements.txt"
        }
        return try await environments.adding(requirements: requirements, to: python) { log.append($0) }
    }

    /// The environment with `osprey-secret:NAME` values replaced by the secrets, and a redactor that masks those values.
    private func resolveSecrets(_ environment: [String: String], accountId: String) async throws -> (environment: [String: String], redactor: Redactor) {
        var resolved = environment
        var values: [String] = []
        for (key, value) in environment where value.hasPrefix(Self.secretPrefix) {
            let name = String(value.dropFirst(Self.secretPrefix.count))
            guard let opened = try await secret(accountId, name) else {
                throw OspreyError(.validation, "Environment variable \(key) names the secret '\(name)', which no longer exists.")
            }
            resolved[key] = opened
            values.append(opened)
        }
        return (resolved, Redactor(secrets: values))
    }

    static func environment(of job: TrainingJob) -> [String: String] {
        (job.request["Environment"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// The objects a channel names: every key under its prefix, or the keys its manifest lists under the manifest's prefix.
    private func channelObjects(_ channel: TrainingRequest.Channel, accountId: String) async throws
        -> (bucket: String, prefix: String, keys: [String])
    {
        guard channel.manifest else {
            return (channel.bucket, channel.prefix, try await objects.allKeys(bucket: channel.bucket, prefix: channel.prefix, accountId: accountId))
        }
        let record = try await objects.object(bucket: channel.bucket, key: channel.prefix, accountId: accountId)
        guard record.size <= 16 << 20 else { throw OspreyError(.validation, "The manifest of channel '\(channel.name)' is over 16 MiB.") }
        var text = ByteBuffer()
        try await objects.read(record, range: nil) { chunk in
            var chunk = chunk
            text.writeBuffer(&chunk)
        }
        let invalid = OspreyError(
            .validation, "The manifest s3://\(channel.bucket)/\(channel.prefix) of channel '\(channel.name)' must be a JSON list: "
                + #"[{"prefix": "s3://bucket/prefix/"}, "relative/key", …]."#)
        guard let entries = try? JSONValue.parse(Array(text.readableBytesView)).arrayValue,
            let prefixURI = entries.first?["prefix"]?.stringValue
        else { throw invalid }
        let base = try S3URI(prefixURI, field: "the manifest's prefix")
        let keys = try entries.dropFirst().map { entry -> String in
            guard let relative = entry.stringValue else { throw invalid }
            return base.key + relative
        }
        return (base.bucket, base.key, keys)
    }

    // MARK: State

    private func key(_ job: TrainingJob) -> String { job.accountId + "/" + job.name }

    private func stopRequested(_ job: TrainingJob) -> Bool { stopRequests.contains(key(job)) }

    /// Applies a lifecycle event to the stored job (re-read, so concurrent stop requests are seen) and writes it with its event.
    @discardableResult
    private func apply(_ change: TrainingJobEvent, to job: TrainingJob) async throws -> TrainingJob {
        let current = try await store.trainingJob(name: job.name, accountId: job.accountId) ?? job
        var next = try TrainingJobLifecycle.apply(change, to: current, at: max(clock.now(), current.lastModifiedTime.addingTimeInterval(0.001)))
        if job.modelArtifacts != nil { next.modelArtifacts = job.modelArtifacts }
        if !job.finalMetrics.isEmpty { next.finalMetrics = job.finalMetrics }
        guard try await store.updateTrainingJob(next, expectedModified: current.lastModifiedTime, event: event(for: next)) else {
            throw OspreyError(.alreadyExists, "Training job \(job.name) was changed by another server while this one updated it.")
        }
        return next
    }

    private func event(for job: TrainingJob) -> NewEvent {
        var detail: [String: JSONValue] = [
            "TrainingJobName": .string(job.name), "TrainingJobArn": .string(job.arn), "TrainingJobStatus": .string(job.status.rawValue),
            "SecondaryStatus": .string(job.secondaryStatus.rawValue),
        ]
        if let reason = job.failureReason { detail["FailureReason"] = .string(reason) }
        if let model = job.modelArtifacts { detail["ModelArtifacts"] = .object(["S3ModelArtifacts": .string(model)]) }
        return NewEvent(
            type: "SageMaker Training Job State Change", accountId: job.accountId, resource: job.arn, detail: JSONValue.object(detail).text,
            time: job.lastModifiedTime)
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// The toolkit's decoding of a hyperparameter: JSON when it parses as JSON, else the raw string.
    static func decodeHyperparameter(_ raw: String) -> String {
        if let value = try? JSONValue.parse(Array(raw.utf8)), let text = value.stringValue { return text }
        return raw
    }

    /// A TCP port on loopback that is free now (for `MASTER_PORT`).
    static func freePort() -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : 7777
    }
}
