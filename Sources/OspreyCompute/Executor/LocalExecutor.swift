import Foundation
import Glibc
import Logging
import OspreyCore

/// Runs jobs as processes on this machine, each host in its own process group with a private `/opt/ml` where the OS
/// allows it (see `OptMLIsolation`).
///
/// Each host's standard output and error are appended to `<logDirectory>/<host>.log` by the process itself, so a line it
/// flushed survives a crash of the server; tail them with `LogTailer`. Keep `RunningJob.processes` to re-adopt the job
/// after a restart with `adopt(_:)`.
public actor LocalExecutor: Executor {
    private let logger: Logger
    private let isolationOverride: OptMLIsolation?

    /// Pass `isolation` to skip the probe, for example `.none(reason:)` to run jobs without namespaces.
    public init(logger: Logger = Logger(label: "osprey.compute.local"), isolation: OptMLIsolation? = nil) {
        self.logger = logger
        self.isolationOverride = isolation
    }

    /// How jobs see `/opt/ml` here (probed once per process unless given at `init`).
    public func isolation() async -> OptMLIsolation {
        if let isolationOverride { return isolationOverride }
        return await OptMLIsolation.detect()
    }

    /// Starts every host of `spec` and returns at once. Throws `.validation` for a spec that cannot run or a command that
    /// cannot be found, `.internalError` when the machine refuses; hosts already started are killed before it throws.
    public func start(_ spec: LaunchSpec) async throws -> RunningJob {
        try spec.validate()
        let isolation = await self.isolation()
        try JobLayout.makeDirectory(spec.logDirectory)

        var records: [ProcessRecord] = []
        var logFiles: [String: String] = [:]
        var limits: [String: MemoryLimit] = [:]
        var notes: [String] = []
        do {
            for host in spec.hosts {
                var limit: MemoryLimit?
                if let bytes = spec.memoryLimitBytes {
                    switch MemoryLimit.prepare(name: spec.jobName + "-" + host.name, bytes: bytes) {
                    case .applied(let made): limit = made
                    case .skipped(let reason): notes.append("\(host.name): memory limit not applied: \(reason)")
                    }
                }
                let logFile = spec.logDirectory + "/" + host.name + ".log"
                let pid: pid_t
                do {
                    pid = try Spawner.spawn(
                        Self.request(for: host, of: spec, isolation: isolation, logFile: logFile, cgroupProcs: limit?.procsFile)
                    )
                } catch {
                    if let limit { await limit.remove() }
                    throw error
                }
                records.append(ProcessRecord(host: host.name, pid: pid, processGroup: pid, startTime: ProcessProbe.startTime(of: pid) ?? 0))
                logFiles[host.name] = logFile
                if let limit {
                    // The prelude joins the group before the command starts; joining from here too tells us whether it worked.
                    if let failure = limit.join(pid) {
                        notes.append("\(host.name): memory limit not applied: cannot join \(limit.path): \(failure)")
                        Task { await limit.remove() }
                    } else {
                        limits[host.name] = limit
                    }
                }
            }
        } catch {
            for record in records { kill(-record.processGroup, SIGKILL) }
            for record in records { _ = await Reaper.wait(for: record.pid) }
            for limit in limits.values { await limit.remove() }
            throw error
        }
        if case .none(let reason) = isolation {
            notes.append("/opt/ml is not private to the job (\(reason)); its paths point at the job folder instead")
        }
        let job = RunningJob(
            jobName: spec.jobName, processes: records, logFiles: logFiles, isolation: isolation, notes: notes, limits: limits,
            memoryLimited: spec.memoryLimitBytes != nil && limits.count == spec.hosts.count, peerFailureGrace: spec.peerFailureGrace
        )
        job.watch()
        logger.debug("started job", metadata: ["job": "\(spec.jobName)", "pids": "\(records.map(\.pid))"])
        return job
    }

    /// A job started before a restart, from its records: ask it `isRunning`, then wait for it or mark it failed.
    public nonisolated func adopt(_ records: [ProcessRecord]) -> AdoptedJob { AdoptedJob(records: records) }

    /// The process to spawn for one host: through the namespace prelude, or with `/opt/ml` rewritten to the folder.
    static func request(
        for host: LaunchSpec.Host, of spec: LaunchSpec, isolation: OptMLIsolation, logFile: String, cgroupProcs: String? = nil
    ) throws -> SpawnRequest {
        var environment = spec.baseEnvironment.merging(spec.environment) { $1 }.merging(host.environment) { $1 }
        if isolation.privateOptML {
            let wrapped = isolation.wrap(
                spec.arguments, hostFolder: host.folder, hiddenPaths: spec.hiddenPaths, workingDirectory: spec.workingDirectory,
                cgroupProcs: cgroupProcs
            )
            return SpawnRequest(
                arguments: wrapped ?? spec.arguments, environment: environment, workingDirectory: "/", output: .appendToFile(logFile),
                inheritedDescriptor: spec.inheritedDescriptor
            )
        }
        environment = environment.mapValues { OptMLPaths.rewrite($0, to: host.folder) }
        if environment["SM_MODEL_DIR"] != nil, environment["SAGEMAKER_BASE_DIR"] == nil { environment["SAGEMAKER_BASE_DIR"] = host.folder }
        let directory = OptMLPaths.rewrite(spec.workingDirectory, to: host.folder)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OspreyError(.validation, "The working directory \(spec.workingDirectory) does not exist for \(host.name).")
        }
        let arguments = spec.arguments.map { OptMLPaths.rewrite($0, to: host.folder) }
        let wrapped = isolation.wrap(arguments, hostFolder: host.folder, hiddenPaths: [], workingDirectory: directory, cgroupProcs: cgroupProcs)
        return SpawnRequest(
            arguments: wrapped ?? arguments, environment: environment, workingDirectory: directory, output: .appendToFile(logFile),
            inheritedDescriptor: spec.inheritedDescriptor
        )
    }
}
