import ArgumentParser
import Foundation
import OspreyCore

extension Osprey {
    /// `osprey sdk-config`: writes the SageMaker Python SDK's config file (2.x and 3.x read the same one) so the SDK makes no
    /// call outside Osprey: telemetry off, and a default bucket (created on the server when missing) so it never asks STS.
    struct SdkConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sdk-config",
            abstract: "Write the SageMaker Python SDK's config file (telemetry off, a default bucket on this server).",
            discussion: """
                The file goes to --path, else $SAGEMAKER_USER_CONFIG_OVERRIDE, else where the SDK looks by default \
                (~/.config/sagemaker/config.yaml on Linux, honouring $XDG_CONFIG_HOME; \
                ~/Library/Application Support/sagemaker/config.yaml on macOS). A file this command did not write is \
                replaced only with --force. Point the SDK at the server with AWS_ENDPOINT_URL.
                """
        )
        @OptionGroup var client: ClientOptions
        @Option(help: "The SDK's default bucket; created on the server when missing.") var bucket = "sagemaker-osprey"
        @Option(help: "Where to write the file (default: where the SDK reads it).") var path: String?
        @Flag(help: "Replace a config file this command did not write.") var force = false

        func run() async throws {
            try await runClient {
                let target = path ?? Self.defaultPath(ProcessInfo.processInfo.environment)
                if let existing = try? String(contentsOfFile: target, encoding: .utf8), !existing.hasPrefix(Self.marker), !force {
                    throw OspreyError(.validation, "\(target) exists and was not written by osprey sdk-config; pass --force to replace it.")
                }
                let s3 = try client.s3Client()
                if try await s3.headBucket(bucket) {
                    print("bucket s3://\(bucket) exists")
                } else {
                    try await s3.createBucket(bucket)
                    print("created bucket s3://\(bucket)")
                }
                let folder = (target as NSString).deletingLastPathComponent
                if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                try Data(Self.contents(bucket: bucket).utf8).write(to: URL(fileURLWithPath: target), options: .atomic)
                print("wrote \(target) (TelemetryOptOut: true, DefaultS3Bucket: \(bucket))")
                if path != nil, ProcessInfo.processInfo.environment["SAGEMAKER_USER_CONFIG_OVERRIDE"] != target {
                    print("the SDK reads it with SAGEMAKER_USER_CONFIG_OVERRIDE=\(target)")
                }
                print("point the SDK at the server with AWS_ENDPOINT_URL=\(client.resolvedEndpoint)")
            }
        }

        /// The first line of every file this command writes.
        static let marker = "# Written by osprey sdk-config"

        static func contents(bucket: String) -> String {
            """
            \(marker): the SageMaker Python SDK (2.x and 3.x) makes no call outside Osprey.
            SchemaVersion: '1.0'
            SageMaker:
              PythonSDK:
                Modules:
                  TelemetryOptOut: true
                  Session:
                    DefaultS3Bucket: '\(bucket)'

            """
        }

        /// Where the SDK reads its user config: `SAGEMAKER_USER_CONFIG_OVERRIDE`, else platformdirs' `user_config_dir("sagemaker")`.
        static func defaultPath(_ environment: [String: String]) -> String {
            if let given = environment["SAGEMAKER_USER_CONFIG_OVERRIDE"], !given.isEmpty { return given }
            let home = environment["HOME"] ?? NSHomeDirectory()
            #if os(macOS)
                return home + "/Library/Application Support/sagemaker/config.yaml"
            #else
                let base = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.config"
                return base + "/sagemaker/config.yaml"
            #endif
        }
    }
}
