import Foundation
import OspreyCore

/// Everything an executor needs to start one job's processes, one per host.
public struct LaunchSpec: Sendable {
    /// One host: its name (`algo-1`), the folder it sees as `/opt/ml`, and its own variables.
    public struct Host: Sendable, Equatable {
        public var name: String
        public var folder: String
        /// Variables for this host only (the training contract's); they win over the job-wide ones.
        public var environment: [String: String]

        public init(name: String, folder: String, environment: [String: String] = [:]) {
            self.name = name
            self.folder = folder
            self.environment = environment
        }
    }

    public var jobName: String
    public var hosts: [Host]
    /// The command, the same on every host: `[python, /opt/ml/code/train.py, --lr, 0.1]`, or a request's
    /// `ContainerEntrypoint + ContainerArguments` as given. A bare program name is looked up on the job's `PATH`.
    public var arguments: [String]
    /// Job-wide variables (the request's `Environment`, secrets resolved); they win over `baseEnvironment`.
    public var environment: [String: String]
    /// What every job gets before its own variables: by default `PATH`, `HOME`, `LANG`, `LC_*`, `TZ` and `TMPDIR` from
    /// the server's environment, nothing else (the server's credentials must not leak into jobs).
    public var baseEnvironment: [String: String]
    /// Where the command starts, as the job sees it (`/opt/ml/code`).
    public var workingDirectory: String
    /// A memory limit per host, applied through a cgroup when the machine offers a writable one.
    public var memoryLimitBytes: Int?
    /// Each host's standard output and error go to `<logDirectory>/<host>.log`, appended by the process itself.
    public var logDirectory: String
    /// Folders covered by an empty one inside each host's namespace (the server's data folder, other jobs' folders),
    /// so the job cannot read them by their real paths. Ignored without isolation. Must not hold the interpreter.
    public var hiddenPaths: [String]
    /// When one host fails, how long the others get between SIGTERM and SIGKILL.
    public var peerFailureGrace: Duration
    /// A descriptor (above 2) the process gets as its fd 3, e.g. one end of a socketpair made with `SOCK_CLOEXEC`; one-host
    /// specs only. The caller still owns it and closes its copy once `start` returned.
    public var inheritedDescriptor: Int32? = nil

    public init(
        jobName: String, hosts: [Host], arguments: [String], environment: [String: String] = [:],
        baseEnvironment: [String: String] = LaunchSpec.defaultBaseEnvironment(), workingDirectory: String = "/opt/ml/code",
        memoryLimitBytes: Int? = nil, logDirectory: String, hiddenPaths: [String] = [], peerFailureGrace: Duration = .seconds(2)
    ) {
        self.jobName = jobName
        self.hosts = hosts
        self.arguments = arguments
        self.environment = environment
        self.baseEnvironment = baseEnvironment
        self.workingDirectory = workingDirectory
        self.memoryLimitBytes = memoryLimitBytes
        self.logDirectory = logDirectory
        self.hiddenPaths = hiddenPaths
        self.peerFailureGrace = peerFailureGrace
    }

    /// A training job's launch: one host per folder of `layout`, each with its contract variables.
    public static func training(
        contract: TrainingContract, layout: JobLayout, arguments: [String], environment: [String: String] = [:],
        logDirectory: String, memoryLimitBytes: Int? = nil, hiddenPaths: [String] = []
    ) throws -> LaunchSpec {
        let hosts = try layout.hosts.enumerated().map { index, folder in
            Host(name: folder.hostName, folder: folder.path, environment: try contract.host(index).environment)
        }
        return LaunchSpec(
            jobName: contract.description.jobName, hosts: hosts, arguments: arguments,
            environment: contract.description.environment.merging(environment) { $1 }, memoryLimitBytes: memoryLimitBytes,
            logDirectory: logDirectory, hiddenPaths: hiddenPaths
        )
    }

    /// The server's `PATH`, `HOME`, `LANG`, `LC_*`, `TZ`, `TMPDIR`, `USER` and `LOGNAME`; a standard `PATH` when unset.
    public static func defaultBaseEnvironment() -> [String: String] {
        let kept: Set<String> = ["PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER", "LOGNAME"]
        var environment = ProcessInfo.processInfo.environment.filter { kept.contains($0.key) || $0.key.hasPrefix("LC_") }
        if environment["PATH"] == nil { environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }
        return environment
    }

    /// Throws `.validation` for a spec that cannot run.
    func validate() throws {
        try Names.validateResourceName(jobName, field: "jobName")
        guard !hosts.isEmpty else { throw OspreyError(.validation, "A job needs at least one host.") }
        guard let program = arguments.first, !program.isEmpty else { throw OspreyError(.validation, "A job needs a command to run.") }
        guard !arguments.contains(where: { $0.contains("\0") }) else {
            throw OspreyError(.validation, "The command must not contain a NUL byte.")
        }
        var names = Set<String>()
        for host in hosts {
            guard !host.name.isEmpty, host.name.utf8.count <= 64, !host.name.contains("/"), !host.name.contains("\0"), host.name != ".",
                host.name != "..", names.insert(host.name).inserted
            else { throw OspreyError(.validation, "Host name '\(host.name)' is not a unique plain name.") }
            guard host.folder.hasPrefix("/") else { throw OspreyError(.validation, "Host folder '\(host.folder)' must be absolute.") }
        }
        for variables in [baseEnvironment, environment] + hosts.map(\.environment) {
            for (key, value) in variables where key.isEmpty || key.contains("=") || key.contains("\0") || value.contains("\0") {
                throw OspreyError(.validation, "Environment variable '\(key)' cannot be passed to a process.")
            }
        }
        if let descriptor = inheritedDescriptor, descriptor < 3 || hosts.count != 1 {
            throw OspreyError(.validation, "An inherited descriptor must be above 2 and go to a one-host job.")
        }
        if let bytes = memoryLimitBytes, bytes < 1 << 20 {
            throw OspreyError(.validation, "A memory limit below 1 MiB (\(bytes) bytes) cannot run a job.")
        }
    }
}
