import Testing

/// The Open Inference Protocol V2 (plain JSON and tritonclient) and data capture on a real endpoint.
@Suite(
    "EndToEnd: Open Inference Protocol V2 and data capture",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndV2Tests {
    @Test("health, metadata, ready, infer with and without a version, errors, credentials; tritonclient; captured JSON Lines")
    func v2ProtocolAndDataCapture() async throws {
        try await EndToEnd.scenario("v2_protocol.py")
    }

    @Test("captured records still in memory are written when the server shuts down")
    func dataCaptureFlushedAtShutdown() async throws {
        try await EndToEnd.withServer("v2-capture-shutdown") { server in
            guard try await server.runPythonExpectingSuccess("v2_protocol.py", ["start"]).succeeded else { return }
            let reason = await server.stop()
            #expect(reason == .exit(0), "osprey server did not exit 0 on SIGTERM: \(reason)")
            try await server.restart()
            try await server.runPythonExpectingSuccess("v2_protocol.py", ["verify"])
        }
    }
}
