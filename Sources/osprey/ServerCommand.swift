import ArgumentParser
import Foundation
import Logging
import OspreyCore
import OspreyServer

extension Osprey {
    /// `osprey server`: runs every protocol on one listener until SIGTERM/SIGINT.
    struct Server: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the Osprey server.")

        @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
        @Option(help: "Port to listen on (default 8080; 0 picks a free one).") var port: Int?
        @Option(name: .customLong("data-dir"), help: "Folder for the database, artifacts and keys (default ~/.osprey).") var dataDir: String?
        @Option(help: "Metadata store: sqlite:<path> or postgres://user:pass@host/db.") var database: String?
        @Option(help: "Artifact store: file:<path> or s3://bucket/prefix?endpoint=http://….") var artifacts: String?
        @Option(help: "Region named in ARNs (default us-east-1).") var region: String?
        @Option(help: "A YAML file of settings (default ./osprey.yaml when present).") var config: String?
        @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.") var logLevel: String?

        func run() async throws {
            let configuration = try resolve()
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
                return handler
            }
            let logger = Logger(label: "osprey")
            do {
                try await OspreyServer(configuration: configuration, logger: logger).run()
            } catch let error as OspreyError {
                FileHandle.standardError.write(Data("osprey: \(error.code): \(error.message)\n".utf8))
                throw ExitCode(1)
            }
        }

        /// Flags over `OSPREY_*` over the YAML file over defaults.
        func resolve() throws -> ServerConfiguration {
            var configuration = ServerConfiguration()
            let yamlPath = config ?? (FileManager.default.fileExists(atPath: "osprey.yaml") ? "osprey.yaml" : nil)
            if let yamlPath {
                guard let text = try? String(contentsOfFile: yamlPath, encoding: .utf8) else {
                    throw ValidationError("Cannot read the config file \(yamlPath).")
                }
                try configuration.apply(yaml: text)
            }
            try configuration.apply(environment: ProcessInfo.processInfo.environment)
            if let host { configuration.host = host }
            if let port { configuration.port = port }
            if let dataDir { configuration.dataDir = dataDir }
            if let database { configuration.database = database }
            if let artifacts { configuration.artifacts = artifacts }
            if let region { configuration.region = region }
            if let logLevel { configuration.logLevel = logLevel }
            return configuration
        }
    }
}
