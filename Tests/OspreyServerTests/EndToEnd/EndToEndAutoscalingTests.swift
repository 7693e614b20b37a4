import Testing

@Suite(
    "EndToEnd: endpoint autoscaling through Application Auto Scaling",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndAutoscalingTests {
    @Test("a variant comes inside its bounds, scales out under load and back in after the cooldown; bad input creates nothing")
    func targetTrackingUnderLoad() async throws {
        try await EndToEnd.scenario("autoscaling.py", settings: ["OSPREY_AUTOSCALING_INTERVAL": "1", "OSPREY_AUTOSCALING_WINDOW": "4"])
    }
}
