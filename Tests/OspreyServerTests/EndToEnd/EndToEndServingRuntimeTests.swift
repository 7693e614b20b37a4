import Testing

/// Real-time serving end to end: endpoints deployed through boto3 and the SageMaker Python SDK 2.x answer
/// `InvokeEndpoint` from real Python model workers, survive a worker's death, updates and a kill -9 of the server.
@Suite(
    "EndToEnd: real-time endpoints serving through boto3 and the SageMaker Python SDK 2.x",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndServingRuntimeTests {
    @Test("weighted variants, JSON/CSV, TargetVariant, ModelError, a crashed worker, a pipeline, updates under load, bad input")
    func servingWithBoto3() async throws {
        try await EndToEnd.scenario("serving_boto3.py")
    }

    @Test("estimator.deploy, Model.deploy and SKLearnModel.deploy, predict, delete_model and delete_endpoint; nothing outside loopback")
    func deployWithSDK2() async throws {
        try await EndToEnd.scenario("sdk2_deploy.py")
    }

    @Test("endpoints across a kill -9 of the server (SQLite): InService again on the same configuration, same answers")
    func servingAcrossAServerKill() async throws {
        try await Self.acrossAServerKill(label: "serving-restart", database: nil)
    }

    @Test(
        "endpoints across a kill -9 of the server (PostgreSQL)",
        .enabled(if: EndToEnd.postgresURL != nil, "OSPREY_TEST_POSTGRES_URL is not set"),
        .enabled(if: EndToEnd.psql != nil, "psql is not installed: cannot make a fresh database on OSPREY_TEST_POSTGRES_URL")
    )
    func servingAcrossAServerKillPostgreSQL() async throws {
        let database = try await ScratchDatabase(adminURL: EndToEnd.postgresURL!)
        do {
            try await Self.acrossAServerKill(label: "serving-restart-postgres", database: database.url)
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    static func acrossAServerKill(label: String, database: String?) async throws {
        try await EndToEnd.withServer(label, database: database) { server in
            guard try await server.runPythonExpectingSuccess("serving_restart.py", ["start"]).succeeded else { return }
            await server.kill9()
            try await server.restart()
            try await server.runPythonExpectingSuccess("serving_restart.py", ["verify"])
        }
    }
}
