import Testing

/// Batch transform jobs driven by boto3 (and the CLI) against the real server: real workers, real S3 objects.
@Suite(
    "EndToEnd: batch transform through boto3, the SageMaker SDK 2.x and the CLI",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndTransformTests {
    @Test("Line/MultiRecord/SingleRecord, JoinSource and filters, pipelines, failure, stop, bad input, listing, the CLI")
    func transformWithBoto3() async throws {
        try await EndToEnd.scenario("transform_boto3.py")
    }

    @Test("the SageMaker SDK 2.x: Model.transformer().transform(), filters and join_source, attach, a failing job")
    func sdk2Transformer() async throws {
        try await EndToEnd.scenario("sdk2_transform.py")
    }

    @Test("a job running through a kill -9 of the server runs again after the restart and completes, its output whole")
    func transformAcrossAServerKill() async throws {
        try await EndToEnd.withServer("transform-restart", database: nil) { server in
            guard try await server.runPythonExpectingSuccess("transform_boto3.py", ["start"]).succeeded else { return }
            await server.kill9()
            try await server.restart()
            try await server.runPythonExpectingSuccess("transform_boto3.py", ["verify"])
        }
    }
}
