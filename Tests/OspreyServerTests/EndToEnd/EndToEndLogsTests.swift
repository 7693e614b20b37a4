import Testing

/// CloudWatch Logs through the real boto3 `logs` client and awscli (`python/logs_api.py`).
@Suite(
    "EndToEnd: CloudWatch Logs through boto3 and awscli",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(5))
)
struct EndToEndLogsTests {
    @Test("groups, streams, paging with tokens, the SDKs' log loops, filters, errors")
    func logsAPI() async throws {
        try await EndToEnd.scenario("logs_api.py")
    }
}
