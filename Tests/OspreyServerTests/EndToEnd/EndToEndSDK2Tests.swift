import Testing

/// The SageMaker Python SDK 2.x, unchanged, trains against the real server: `Estimator.fit`, its printed logs, `model_data`,
/// a failing script; no traffic outside loopback.
@Suite(
    "EndToEnd: training jobs through the SageMaker Python SDK 2.x",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndSDK2Tests {
    @Test("Estimator.fit(logs=True), model_data, a failing script, SKLearn, nothing outside loopback")
    func estimatorFit() async throws {
        try await EndToEnd.scenario("sdk2_estimator.py")
    }
}
