import Foundation
import Testing

/// The real `osprey server` driven by the real boto3 and awscli (scripts in `python/`, one server per test).
///
/// Needs the venv from `scripts/python-env.sh` (or `OSPREY_TEST_PYTHON`); run with `swift test --filter EndToEnd`.
@Suite(
    "EndToEnd: S3 through boto3 and awscli",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndS3Tests {
    @Test("bucket and object life cycle (boto3)")
    func bucketAndObjectLifecycle() async throws {
        try await EndToEnd.scenario("s3_lifecycle.py")
    }

    @Test("upload_file/download_file of 100 MiB, manual multipart, abort")
    func multipart() async throws {
        try await EndToEnd.scenario("s3_multipart.py")
    }

    @Test("aws s3 sync both ways, ls, cp")
    func awscliSync() async throws {
        try await EndToEnd.scenario("awscli_sync.py")
    }

    @Test("presigned GET URLs with urllib; expired → AccessDenied")
    func presignedURLs() async throws {
        try await EndToEnd.scenario("s3_presign.py")
    }

    @Test("ranged GETs; unsatisfiable → InvalidRange 416")
    func rangedGets() async throws {
        try await EndToEnd.scenario("s3_ranges.py")
    }

    @Test("pagination over 2,500 keys, delimiters, v1 and v2")
    func pagination() async throws {
        try await EndToEnd.scenario("s3_pagination.py")
    }

    @Test("bad input gets a precise error and changes nothing")
    func badInput() async throws {
        try await EndToEnd.scenario("s3_bad_input.py")
    }
}

/// kill -9 in the middle of an upload, restart on the same data folder, check what survived.
@Suite(
    "EndToEnd: durability across kill -9 and restart",
    .enabled(if: EndToEnd.isEnabled, "no venv: run scripts/python-env.sh (or set OSPREY_TEST_PYTHON)"),
    .timeLimit(.minutes(10))
)
struct EndToEndDurabilityTests {
    @Test("kill -9 mid-upload, restart (SQLite)")
    func killAndRestartSQLite() async throws {
        try await Self.killAndRestart(label: "durability-sqlite", database: nil)
    }

    @Test(
        "kill -9 mid-upload, restart (PostgreSQL)",
        .enabled(if: EndToEnd.postgresURL != nil, "OSPREY_TEST_POSTGRES_URL is not set"),
        .enabled(if: EndToEnd.psql != nil, "psql is not installed: cannot make a fresh database on OSPREY_TEST_POSTGRES_URL")
    )
    func killAndRestartPostgreSQL() async throws {
        let database = try await ScratchDatabase(adminURL: EndToEnd.postgresURL!)
        do {
            try await Self.killAndRestart(label: "durability-postgres", database: database.url)
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    static func killAndRestart(label: String, database: String?) async throws {
        try await EndToEnd.withServer(label, database: database) { server in
            let marker = server.scratch.appendingPathComponent("streaming")
            let writer = try server.launchPython("s3_durability.py", ["write"])

            // Wait for the slow PUT to be under way, then crash the server under it.
            let deadline = ContinuousClock.now + .seconds(240)
            while !FileManager.default.fileExists(atPath: marker.path) {
                guard writer.isRunning, ContinuousClock.now < deadline else {
                    let outcome = await writer.wait(timeout: .seconds(5))
                    server.report("s3_durability.py", ["write"], outcome)
                    Issue.record("the write phase ended or stalled before its slow upload started")
                    return
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(300))
            await server.kill9()
            let written = await writer.wait(timeout: .seconds(120))
            server.report("s3_durability.py", ["write"], written)
            guard written.succeeded else { return }

            try await server.restart()
            let verified = try await server.runPythonExpectingSuccess("s3_durability.py", ["verify"])
            guard verified.succeeded else { return }

            // A graceful stop and one more start keep everything too.
            let reason = await server.stop()
            #expect(reason == .exit(0), "osprey server did not exit 0 on SIGTERM: \(reason)\n\(server.logTail())")
            try await server.restart()
            try await server.runPythonExpectingSuccess("s3_durability.py", ["finish"])
        }
    }
}
