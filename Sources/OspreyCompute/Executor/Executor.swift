/// Runs jobs' processes somewhere: this machine first; containers, Ray and Slurm behind the same shape later.
public protocol Executor: Sendable {
    associatedtype Job: ExecutorJob
    /// Starts one process per host of `spec` and returns at once; throws `OspreyError` when any host cannot start
    /// (the hosts already started are killed first).
    func start(_ spec: LaunchSpec) async throws -> Job
}

/// A started job, whatever runs it.
public protocol ExecutorJob: Sendable {
    /// Returns once every host has ended, one entry per host in the spec's order. May be called any number of times.
    func wait() async -> [HostExit]
    /// Asks every host to end (SIGTERM, or the backend's equivalent), and forces it after `grace`. Returns at once.
    func stop(grace: Duration) async
}

/// How one host of a job ended.
public struct HostExit: Sendable, Hashable {
    /// Why a host was stopped from outside.
    public enum StopCause: Sendable, Hashable {
        /// `stop(grace:)` was called.
        case requested
        /// Another host failed first (CONTRACTS.md: the others are stopped at once), naming it.
        case peerFailed(String)
    }

    public var host: String
    public var pid: Int32
    public var status: ExitStatus
    /// Nil when the host ended by itself.
    public var stoppedBy: StopCause?

    public init(host: String, pid: Int32, status: ExitStatus, stoppedBy: StopCause? = nil) {
        self.host = host
        self.pid = pid
        self.status = status
        self.stoppedBy = stoppedBy
    }

    /// Exit code 0.
    public var succeeded: Bool { status.succeeded }
}
