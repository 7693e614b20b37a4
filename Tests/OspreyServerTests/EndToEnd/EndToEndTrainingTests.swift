import Testing

/// Training jobs driven by boto3 and awscli against the real server: real Python processes, real files.
@Suite(
    "EndToEnd: training jobs through boto3 and awscli",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndTrainingTests {
    @Test("script mode, logs, model artifacts, failure, stop, MaxRuntime, bad input, listing")
    func trainingWithBoto3() async throws {
        try await EndToEnd.scenario("training_boto3.py")
    }

    @Test("managed spot: interruptions resume from checkpoints, MaxWait; the capacity queue; the channel cache")
    func spotCapacityAndCache() async throws {
        try await EndToEnd.scenario(
            "training_spot.py", settings: ["OSPREY_SPOT_RESTART_DELAY": "1.5", "OSPREY_TRAINING_SLOTS": "ml.c5.xlarge=1"])
    }

    @Test("a job running through a kill -9 of the server is Failed after the restart, its process gone, its log whole")
    func trainingAcrossAServerKill() async throws {
        try await EndToEnd.withServer("training-restart", database: nil) { server in
            guard try await server.runPythonExpectingSuccess("training_restart.py", ["start"]).succeeded else { return }
            await server.kill9()
            try await server.restart()
            try await server.runPythonExpectingSuccess("training_restart.py", ["verify"])
        }
    }
}
