import Foundation
import NIOCore
import OspreyCompute
import OspreyCore
import Testing

@testable import OspreyServing

enum ServingTestSupport {
    static let executor = LocalExecutor()

    /// A new empty folder under the system's temporary folder.
    static func temporaryFolder(_ name: String = "t") throws -> String {
        let path = NSTemporaryDirectory() + "osprey-serving-tests/" + name + "-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A stdlib-only venv shared by the tests (made on first use).
    static func python() async throws -> String {
        try await PythonEnvironment.ensure(at: NSTemporaryDirectory() + "osprey-serving-tests-venv")
    }

    /// An interpreter that can import numpy: `OSPREY_TEST_PYTHON` (the test venv) or `python3`; nil when neither can.
    static func numpyPython() async throws -> String? {
        let candidates = [ProcessInfo.processInfo.environment["OSPREY_TEST_PYTHON"], "python3"].compactMap { $0 }
        for candidate in candidates {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = [candidate, "-c", "import numpy, sys; print(sys.executable)"]
            let output = Pipe()
            check.standardOutput = output
            check.standardError = FileHandle.nullDevice
            guard (try? check.run()) != nil else { continue }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            check.waitUntilExit()
            let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if check.terminationStatus == 0, !path.isEmpty { return path }
        }
        return nil
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A worker folder (seen as `/opt/ml`) whose `model/` holds `files` (relative paths, e.g. `code/inference.py`).
    static func modelFolder(_ files: [String: String], in root: String) throws -> String {
        let folder = root + "/worker"
        try FileManager.default.createDirectory(atPath: folder + "/model", withIntermediateDirectories: true)
        for (path, text) in files { try write(text, to: folder + "/model/" + path) }
        return folder
    }

    static func launch(
        _ folder: String, root: String, command: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60),
        startTimeout: Duration = .seconds(60)
    ) -> WorkerLaunch {
        WorkerLaunch(
            name: "w-" + UUID().uuidString.prefix(8).lowercased(), folder: folder, command: command, environment: environment,
            logDirectory: root + "/logs", invocationTimeout: timeout, startTimeout: startTimeout, stopGrace: .seconds(2)
        )
    }

    /// Starts a Python worker over a model folder made of `files`.
    static func startPython(
        _ files: [String: String], root: String, python: String? = nil, environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> any InferenceWorker {
        let folder = try modelFolder(files, in: root)
        let interpreter: String
        if let python { interpreter = python } else { interpreter = try await Self.python() }
        return try await PythonWorker.start(
            launch(folder, root: root, command: [interpreter], environment: environment, timeout: timeout), executor: executor
        )
    }

    static func request(_ text: String, contentType: String? = "application/json", accept: String? = nil) -> InvocationRequest {
        InvocationRequest(body: ByteBuffer(string: text), contentType: contentType, accept: accept)
    }

    static func text(_ response: InvocationResponse) -> String { String(buffer: response.body) }
}

extension Error {
    /// The worker failure inside an `OspreyError`, if any.
    var workerFailure: WorkerFailure? { (self as? OspreyError)?.workerFailure }
}
