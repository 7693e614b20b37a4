import Testing

/// STS and IAM through boto3: what the SageMaker SDKs call before they train or deploy.
@Suite(
    "EndToEnd: STS and IAM through boto3",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(5))
)
struct EndToEndQueryTests {
    @Test("GetCallerIdentity answers; IAM actions are AccessDenied")
    func stsAndIAM() async throws {
        try await EndToEnd.scenario("sts_iam.py")
    }
}
