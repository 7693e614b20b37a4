import Foundation
import Testing

extension EndToEnd {
    /// The SageMaker Python SDK 3.x venv's python (`scripts/python-env-sdk3.sh`; `OSPREY_TEST_PYTHON_SDK3` overrides it),
    /// or nil when there is none (the 3.x suite is then disabled). The 2.x venv (`python`) is a separate one.
    static let pythonSDK3: String? = {
        if let given = environment["OSPREY_TEST_PYTHON_SDK3"], !given.isEmpty {
            return FileManager.default.isExecutableFile(atPath: given) ? given : nil
        }
        let venv = repoRoot.appendingPathComponent(".venv-sdk3/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }()

    /// Runs a scenario with the given interpreter against a fresh server; fails the test with its output when it fails.
    static func scenario(python: String, _ script: String, _ arguments: [String] = []) async throws {
        try await withServer("\(script) (\(python))") { server in
            try await server.runPythonExpectingSuccess(python: python, script, arguments)
        }
    }
}

extension ServerProcess {
    /// `runPythonExpectingSuccess` with another venv's interpreter, its folder first on `PATH`.
    @discardableResult
    func runPythonExpectingSuccess(
        python: String, _ script: String, _ arguments: [String] = [], timeout: Duration = .seconds(600)
    ) async throws -> ProcessOutcome {
        let venvBin = URL(fileURLWithPath: python).deletingLastPathComponent().path
        let environment = pythonEnvironment(["PATH": venvBin + ":" + (EndToEnd.environment["PATH"] ?? "/usr/bin:/bin")])
        let stem = "\(script)-\(UUID().uuidString.prefix(6))"
        let run = try PythonRun(
            python: python, script: EndToEnd.scriptsFolder.appendingPathComponent(script).path, arguments: arguments,
            environment: environment, stdoutURL: root.appendingPathComponent("\(stem).out"),
            stderrURL: root.appendingPathComponent("\(stem).err"))
        let outcome = await run.wait(timeout: timeout)
        report(script, arguments, outcome)
        return outcome
    }
}

/// The SageMaker Python SDK 3.x (`pip install sagemaker` today), unchanged, in its own venv beside the 2.x one: ModelTrainer
/// trains with its logs, ModelBuilder deploys, Endpoint.invoke predicts, deletes clean up; `osprey sdk-config` serves both
/// lines; no traffic outside loopback. Each deploy costs the SDK's own 30 s sleep, so there is one.
@Suite(
    "EndToEnd: the SageMaker Python SDK 3.x",
    .enabled(if: EndToEnd.pythonSDK3 != nil, "no 3.x venv: run scripts/python-env-sdk3.sh (or set OSPREY_TEST_PYTHON_SDK3)"),
    .timeLimit(.minutes(10))
)
struct EndToEndSDK3Tests {
    @Test("ModelTrainer.train(logs=True): log lines, model artifact, a failing script's FailedStatusError, IAM AccessDenied")
    func modelTrainer() async throws {
        try await EndToEnd.scenario(python: try #require(EndToEnd.pythonSDK3), "sdk3_train.py")
    }

    @Test("examples/sdk3/example.py: ModelTrainer, ModelBuilder.deploy, Endpoint.invoke, deletes; Describe shapes; endpoint logs")
    func example() async throws {
        let folder = EndToEnd.repoRoot.appendingPathComponent("examples/sdk3").path
        try await EndToEnd.scenario(python: try #require(EndToEnd.pythonSDK3), "sdk3_example.py", [folder])
    }

    @Test("osprey sdk-config writes the file both SDK lines read (3.x, and 2.x when its venv exists)")
    func sdkConfig() async throws {
        try await EndToEnd.scenario(python: try #require(EndToEnd.pythonSDK3), "sdk_config.py")
        if let python2 = EndToEnd.python {
            try await EndToEnd.scenario(python: python2, "sdk_config.py")
        }
    }
}
