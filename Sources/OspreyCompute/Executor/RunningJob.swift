import Glibc

/// A job started by `LocalExecutor`: one process group per host, each waited for on its own thread.
///
/// When a host ends by itself without success, the job records it as `failedHost` and stops the other hosts at once
/// (SIGTERM, SIGKILL after the spec's `peerFailureGrace`). When a host's main process ends, whatever it left running in its
/// process group is killed, as a container's end would.
public actor RunningJob: ExecutorJob {
    public nonisolated let jobName: String
    /// One record per host, in the spec's order: keep them to re-adopt the job after a restart.
    public nonisolated let processes: [ProcessRecord]
    /// Host name → its log file.
    public nonisolated let logFiles: [String: String]
    /// How the job sees `/opt/ml`; when `privateOptML` is false, say so in the job's status message.
    public nonisolated let isolation: OptMLIsolation
    /// Things the caller may want to show: a memory limit that could not be applied, and why.
    public nonisolated let notes: [String]
    /// True when every host runs under the requested memory limit.
    public nonisolated let memoryLimited: Bool

    /// The main process of each host, in the spec's order.
    public nonisolated var pids: [Int32] { processes.map(\.pid) }

    /// The first host that ended by itself without success, if any: the job's failure is that host's.
    public private(set) var failedHost: String?

    private let peerFailureGrace: Duration
    private var limits: [String: MemoryLimit]
    private var exits: [String: HostExit] = [:]
    private var stopCauses: [String: HostExit.StopCause] = [:]
    private var waiters: [CheckedContinuation<[HostExit], Never>] = []

    init(
        jobName: String, processes: [ProcessRecord], logFiles: [String: String], isolation: OptMLIsolation, notes: [String],
        limits: [String: MemoryLimit], memoryLimited: Bool, peerFailureGrace: Duration
    ) {
        self.jobName = jobName
        self.processes = processes
        self.logFiles = logFiles
        self.isolation = isolation
        self.notes = notes
        self.limits = limits
        self.memoryLimited = memoryLimited
        self.peerFailureGrace = peerFailureGrace
    }

    /// Starts one waiting thread per host.
    nonisolated func watch() {
        for record in processes {
            Task {
                let status = await Reaper.wait(for: record.pid)
                await self.ended(record, status: status)
            }
        }
    }

    public func wait() async -> [HostExit] {
        if exits.count == processes.count { return orderedExits }
        return await withCheckedContinuation { waiters.append($0) }
    }

    public func stop(grace: Duration) async {
        signalRunning(SIGTERM, cause: .requested)
        scheduleKill(after: grace)
    }

    /// The hosts that have ended so far.
    public var endedHosts: [HostExit] { orderedExits }

    private var orderedExits: [HostExit] { processes.compactMap { exits[$0.host] } }

    private func ended(_ record: ProcessRecord, status: ExitStatus) {
        // The main process is gone: nothing else of this host may outlive it.
        kill(-record.processGroup, SIGKILL)
        if let limit = limits.removeValue(forKey: record.host) { Task { await limit.remove() } }
        let cause = stopCauses[record.host]
        exits[record.host] = HostExit(host: record.host, pid: record.pid, status: status, stoppedBy: cause)
        if !status.succeeded, cause == nil, failedHost == nil {
            failedHost = record.host
            signalRunning(SIGTERM, cause: .peerFailed(record.host))
            scheduleKill(after: peerFailureGrace)
        }
        if exits.count == processes.count {
            let result = orderedExits
            let pending = waiters
            waiters = []
            for waiter in pending { waiter.resume(returning: result) }
        }
    }

    /// Sends `signal` to the group of every host still running, recording why (the first cause sticks).
    private func signalRunning(_ signal: Int32, cause: HostExit.StopCause) {
        for record in processes where exits[record.host] == nil {
            if stopCauses[record.host] == nil { stopCauses[record.host] = cause }
            kill(-record.processGroup, signal)
        }
    }

    private func scheduleKill(after grace: Duration) {
        Task {
            try? await Task.sleep(for: grace)
            self.killRemaining()
        }
    }

    private func killRemaining() {
        for record in processes where exits[record.host] == nil { kill(-record.processGroup, SIGKILL) }
    }
}
