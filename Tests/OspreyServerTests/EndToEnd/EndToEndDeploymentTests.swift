import Testing

@Suite(
    "EndToEnd: deployments with rollback alarms, dynamic batching, multi-model endpoints",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndDeploymentTests {
    @Test("a failing canary rolls back and a linear update completes, with no failed request during either")
    func deploymentsUnderLoad() async throws {
        try await EndToEnd.scenario("serving_deployments.py")
    }

    @Test("dynamic batching: concurrent calls reach predict_fn together, each gets its own answer")
    func dynamicBatching() async throws {
        try await EndToEnd.scenario("serving_batching.py")
    }

    @Test("multi-model endpoints: load on first call, LRU unload under the memory budget, version hot swap")
    func multiModelEndpoints() async throws {
        try await EndToEnd.scenario("serving_multimodel.py")
    }

    @Test("health checks: a worker that stops answering while idle is replaced")
    func healthChecks() async throws {
        try await EndToEnd.scenario("serving_health.py")
    }
}
