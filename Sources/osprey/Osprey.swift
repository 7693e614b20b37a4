import ArgumentParser
import Foundation
import OspreyCore

/// The `osprey` command: the server and the clients of its API.
@main
struct Osprey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "osprey",
        abstract: "A self-hosted machine-learning platform that speaks SageMaker, S3 and MLflow.",
        subcommands: [Server.self, Quickstart.self, Keys.self, S3.self, Webhooks.self, Events.self, Jobs.self, Train.self, Deploy.self, Endpoints.self, Images.self, Secrets.self, Transform.self, SdkConfig.self]
    )
}

/// Where client commands find the server and their key.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server's URL (default: $OSPREY_ENDPOINT or http://127.0.0.1:8080).")
    var endpoint: String?

    @Option(help: "A profile in <data-dir>/credentials or ~/.aws/credentials.")
    var profile: String?

    @Option(name: .customLong("data-dir"), help: "The server's data folder, where its credentials file is (default ~/.osprey).")
    var dataDir: String?

    var resolvedEndpoint: String {
        endpoint ?? ProcessInfo.processInfo.environment["OSPREY_ENDPOINT"] ?? "http://127.0.0.1:8080"
    }

    /// The key to sign with: `--profile`, else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, else profile `osprey` of the data dir,
    /// else `default` of `~/.aws/credentials`.
    func credentials() throws -> (id: String, secret: String) {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"] ?? ""
        let files = [(dataDir ?? home + "/.osprey") + "/credentials", environment["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"]
        func lookup(_ profile: String) -> (String, String)? {
            for file in files {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
                if let section = CredentialsFile.parse(text)[profile], let id = section["aws_access_key_id"],
                    let secret = section["aws_secret_access_key"]
                {
                    return (id, secret)
                }
            }
            return nil
        }
        if let profile {
            guard let found = lookup(profile) else {
                throw OspreyError(.validation, "Profile '\(profile)' is not in \(files.joined(separator: " or ")).")
            }
            return found
        }
        if let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] { return (id, secret) }
        if let found = lookup("osprey") ?? lookup("default") { return found }
        throw OspreyError(
            .validation, "No credentials: pass --profile, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run the server once to make one."
        )
    }
}

/// Runs a client command's body; on failure prints one line naming the error code and exits non-zero.
func runClient(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as OspreyError {
        FileHandle.standardError.write(Data("osprey: \(error.code): \(error.message)\n".utf8))
        throw ExitCode(1)
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("osprey: error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

import OspreyServer
