import Testing

@Suite(
    "EndToEnd: blue/green deployments with rollback alarms",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndDeploymentTests {
    @Test("a failing canary rolls back and a linear update completes, with no failed request during either")
    func deploymentsUnderLoad() async throws {
        try await EndToEnd.scenario("serving_deployments.py")
    }
}
