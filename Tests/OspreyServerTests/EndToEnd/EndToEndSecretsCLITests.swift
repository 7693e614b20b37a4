import Foundation
import OspreyCore
import OspreyServices
import OspreyStore
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@testable import OspreyServer

/// `osprey secrets` against a real `osprey server`, run through a shell so the value arrives on a pipe, as a user sends it.
@Suite(
    "EndToEnd: osprey secrets through the CLI",
    .enabled(if: (try? EndToEnd.ospreyBinary()) != nil, "no osprey executable: build with `swift build --build-tests`"),
    .timeLimit(.minutes(3))
)
struct EndToEndSecretsCLITests {
    @Test("put reads standard input and strips one newline; list shows names, never values; delete removes")
    func secretsThroughTheCLI() async throws {
        try await EndToEnd.withServer("secrets-cli") { server in
            let stored = try await Self.shell(server, #"echo -n 'first-v4lue' | "$OSPREY" secrets put team/db.password --endpoint "$ENDPOINT""#)
            #expect(stored.succeeded, "\(stored)")
            #expect(stored.stdout == "stored team/db.password\n")
            #expect(!stored.stdout.contains("v4lue") && !stored.stderr.contains("v4lue"))
            #expect(try await Self.storedValue(server, "team/db.password") == "first-v4lue")

            // Exactly one trailing newline goes; the credentials come from the environment only.
            let twoNewlines = #"printf 'line 1\nline 2\n\n' | "$OSPREY" secrets put team/db.password --endpoint "$ENDPOINT""#
            let replaced = try await Self.shell(server, twoNewlines)
            #expect(replaced.succeeded && replaced.stdout == "replaced team/db.password\n", "\(replaced)")
            #expect(try await Self.storedValue(server, "team/db.password") == "line 1\nline 2\n")

            let listed = try await Self.shell(server, #""$OSPREY" secrets list --endpoint "$ENDPOINT""#)
            #expect(listed.succeeded, "\(listed)")
            #expect(listed.stdout.hasPrefix("team/db.password\t"))
            #expect(!listed.stdout.contains("line 1") && !listed.stdout.contains("v4lue"))

            let empty = try await Self.shell(server, #""$OSPREY" secrets put empty --endpoint "$ENDPOINT" < /dev/null"#)
            #expect(!empty.succeeded && empty.stderr.contains("ValidationException"), "\(empty)")

            let deleted = try await Self.shell(server, #""$OSPREY" secrets delete team/db.password --endpoint "$ENDPOINT""#)
            #expect(deleted.succeeded && deleted.stdout == "deleted team/db.password\n", "\(deleted)")
            let after = try await Self.shell(server, #""$OSPREY" secrets list --endpoint "$ENDPOINT""#)
            #expect(after.succeeded && after.stdout.isEmpty, "\(after)")
            let again = try await Self.shell(server, #""$OSPREY" secrets delete team/db.password --endpoint "$ENDPOINT""#)
            #expect(again.ending == .exited(1) && again.stderr.hasPrefix("osprey: ResourceNotFound:"), "\(again)")
        }
    }

    /// Runs `script` with `/bin/sh -c`, `$OSPREY` the binary and `$ENDPOINT` the server, the server's key in
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` and no credentials file.
    static func shell(_ server: ServerProcess, _ script: String) async throws -> ProcessOutcome {
        var environment = EndToEnd.environment.filter { !$0.key.hasPrefix("AWS_") && !$0.key.hasPrefix("OSPREY_") }
        environment["HOME"] = server.scratch.appendingPathComponent("home").path
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        environment["AWS_ACCESS_KEY_ID"] = server.accessKeyID
        environment["AWS_SECRET_ACCESS_KEY"] = server.secretAccessKey
        environment["OSPREY"] = server.binary
        environment["ENDPOINT"] = server.endpoint
        let stem = server.root.appendingPathComponent("cli-\(UUID().uuidString.prefix(8))")
        let out = stem.appendingPathExtension("out")
        let err = stem.appendingPathExtension("err")
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", script], environment: environment, stdout: out, stderr: err)
        return await child.outcome(timeout: .seconds(60), stdout: out, stderr: err)
    }

    /// The value the server stored, opened with its master key from its own database.
    static func storedValue(_ server: ServerProcess, _ name: String) async throws -> String? {
        let store = try await SQLMetadataStore.open(
            url: "sqlite:" + server.dataDir.appendingPathComponent("osprey.db").path, logger: eventsTestLogger
        )
        do {
            let secrets = SecretService(store: store, masterKey: try MasterKey.loadOrCreate(dataDir: server.dataDir.path))
            let value = try await secrets.value(accountId: Deployment.rootAccount, name: name)
            await store.close()
            return value
        } catch {
            await store.close()
            throw error
        }
    }
}
