import Foundation
import Testing

@testable import OspreyCompute

enum TestSupport {
    /// A new empty folder under the system's temporary folder.
    static func temporaryFolder(_ name: String = "t") throws -> String {
        let path = NSTemporaryDirectory() + "osprey-compute-tests/" + name + "-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// One venv for all tests, kept between runs (made on first use, which takes a few seconds).
    static func python() async throws -> String {
        try await PythonEnvironment.ensure(at: NSTemporaryDirectory() + "osprey-compute-tests-venv")
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// All complete lines of a log.
    static func lines(of logFile: String) throws -> [String] {
        try LogTailer(path: logFile).read(from: 0, endOfStream: true).lines.map(\.text)
    }

    /// Polls `logFile` until a line equals `line`; false after `timeout`.
    static func waitForLine(_ line: String, in logFile: String, timeout: Duration = .seconds(20)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try lines(of: logFile).contains(line) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// A one-host training job folder with `script` as `code/train.py`.
    static func trainingJob(
        name: String, root: String, script: String, hyperparameters: [String: String] = [:], instanceCount: Int = 1,
        channels: [String: TrainingChannel] = [:]
    ) throws -> (TrainingContract, JobLayout) {
        let contract = try TrainingContract(
            TrainingJobDescription(
                jobName: name, instanceCount: instanceCount, hyperparameters: ["sagemaker_program": "\"train.py\""].merging(hyperparameters) { $1 },
                channels: channels, cpuCount: 2
            )
        )
        let layout = try JobLayout.prepare(jobRoot: root, contract: contract)
        for host in layout.hosts { try write(script, to: host.codeDirectory + "/train.py") }
        return (contract, layout)
    }
}
