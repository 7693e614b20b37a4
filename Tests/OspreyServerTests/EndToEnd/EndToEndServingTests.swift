import Testing

/// Real-time serving's control plane driven by boto3 against the real server.
@Suite(
    "EndToEnd: models, endpoint configurations and endpoints through boto3",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(5))
)
struct EndToEndServingTests {
    @Test("models and endpoint configurations: CRUD, listing, tags, bad input with nothing created")
    func servingControlPlaneWithBoto3() async throws {
        try await EndToEnd.scenario("serving_api.py")
    }
}
