import Foundation
import OspreyCompute
import OspreyCore

/// How to start one model worker process.
public struct WorkerLaunch: Sendable {
    /// Unique among running workers, a resource name (`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`): the process's job and log
    /// name.
    public var name: String
    /// The folder the worker sees as `/opt/ml`; it must hold `model/` (the extracted model archive, `code/` inside it).
    public var folder: String
    /// `PythonWorker`: the interpreter (`[<venv>/bin/python]`), to which the worker's own code is appended.
    /// `HTTPContractWorker`: the whole serving command (`[serve]`, `[python, /opt/ml/model/code/serve.py]`).
    public var command: [String]
    /// The model's `Environment` (e.g. `SAGEMAKER_PROGRAM`); wins over `SM_MODEL_DIR`, not over `SAGEMAKER_BIND_TO_PORT`.
    public var environment: [String: String]
    /// The process's standard output and error are appended to `<logDirectory>/<name>.log`.
    public var logDirectory: String
    /// Folders the worker must not see (the server's data folder, other workers' folders); see `LaunchSpec.hiddenPaths`.
    public var hiddenPaths: [String]
    public var memoryLimitBytes: Int?
    /// How long one call may wait for its answer; a Python worker that misses it is killed.
    public var invocationTimeout: Duration
    /// How long the model may take to load (`model_fn`, or until `GET /ping` answers 200).
    public var startTimeout: Duration
    /// Between SIGTERM and SIGKILL in `stop()`.
    public var stopGrace: Duration

    public init(
        name: String, folder: String, command: [String], environment: [String: String] = [:], logDirectory: String,
        hiddenPaths: [String] = [], memoryLimitBytes: Int? = nil, invocationTimeout: Duration = .seconds(60),
        startTimeout: Duration = .seconds(600), stopGrace: Duration = .seconds(5)
    ) {
        self.name = name
        self.folder = folder
        self.command = command
        self.environment = environment
        self.logDirectory = logDirectory
        self.hiddenPaths = hiddenPaths
        self.memoryLimitBytes = memoryLimitBytes
        self.invocationTimeout = invocationTimeout
        self.startTimeout = startTimeout
        self.stopGrace = stopGrace
    }

    /// The log file of the worker's process.
    public var logFile: String { logDirectory + "/" + name + ".log" }

    /// One host named like the worker, starting in `/opt/ml/model`, with `SM_MODEL_DIR` set and `extra` over the model's
    /// variables. Throws `.validation` when `folder/model` is missing.
    func spec(arguments: [String], environment extra: [String: String]) throws -> LaunchSpec {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder + "/model", isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OspreyError(.validation, "The model worker '\(name)' has no model folder (\(folder)/model).")
        }
        let variables = ["SM_MODEL_DIR": "/opt/ml/model"].merging(environment) { $1 }.merging(extra) { $1 }
        return LaunchSpec(
            jobName: name, hosts: [LaunchSpec.Host(name: name, folder: folder)], arguments: arguments,
            environment: variables, workingDirectory: "/opt/ml/model", memoryLimitBytes: memoryLimitBytes,
            logDirectory: logDirectory, hiddenPaths: hiddenPaths, peerFailureGrace: stopGrace
        )
    }

    /// The last lines of the worker's log, joined with newlines ("" when it is empty).
    func logTail(lines count: Int = 10) -> String {
        let size = (try? FileManager.default.attributesOfItem(atPath: logFile)[.size] as? UInt64) ?? 0
        let start = size > 16_384 ? size - 16_384 : 0
        guard let chunk = try? LogTailer(path: logFile).read(from: start, endOfStream: true) else { return "" }
        var lines = chunk.lines.map(\.text)
        if start > 0, !lines.isEmpty { lines.removeFirst() }  // began mid-line
        return lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.suffix(count).joined(separator: "\n")
    }

    /// `status`, then the log's last lines when there are any.
    func exitDescription(_ status: ExitStatus?) -> String {
        let head = "The model worker '\(name)' " + (status.map { "ended (\($0))." } ?? "ended.")
        let tail = logTail()
        return tail.isEmpty ? head : head + " Its log ends with:\n" + tail
    }
}
