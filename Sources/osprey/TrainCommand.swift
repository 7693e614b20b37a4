import ArgumentParser
import Foundation
import NIOCore
import OspreyArtifacts
import OspreyCore

extension Osprey {
    /// `osprey train ./src --entry-point train.py --data train=./data --hp epochs=3 --wait`: uploads, starts, follows.
    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a script on local data: uploads the source and data folders, starts a training job, follows its log.",
            discussion: "Local folders go to s3://<bucket>/<job>/…; s3:// URIs in --data are used as they are."
        )
        @OptionGroup var client: ClientOptions
        @Argument(help: "The source folder (packed as sourcedir.tar.gz; a requirements.txt in it is installed).") var source: String
        @Option(name: .customLong("entry-point"), help: "The script to run, relative to the source folder.") var entryPoint: String
        @Option(name: .customLong("data"), help: "A channel: NAME=./folder or NAME=s3://bucket/prefix (repeatable).") var channels: [String] = []
        @Option(name: .customLong("hp"), help: "A hyperparameter NAME=VALUE (repeatable).") var hyperparameters: [String] = []
        @Option(name: .customLong("env"), help: "An environment variable KEY=VALUE (repeatable; osprey-secret:NAME values are secrets).")
        var environment: [String] = []
        @Option(name: .customLong("instance-count"), help: "Hosts algo-1 … algo-N.") var instanceCount = 1
        @Option(name: .customLong("instance-type"), help: "Instance type.") var instanceType = "ml.m5.large"
        @Option(help: "Training image.") var image = "osprey/python"
        @Option(help: "Bucket for uploads and outputs (made if missing).") var bucket = "osprey-training"
        @Option(help: "Job name (default: <entry point>-<timestamp>).") var name: String?
        @Option(name: .customLong("max-runtime"), help: "MaxRuntimeInSeconds.") var maxRuntime = 86_400
        @Flag(help: "Follow the log until the job ends, then print its metrics and model; exit 1 unless it completed.") var wait = false

        func run() async throws {
            try await runClient {
                let s3 = try client.s3Client()
                let api = try client.awsJSONClient()
                let job = name ?? Self.defaultName(entryPoint)
                if try await !s3.headBucket(bucket) { try await s3.createBucket(bucket) }
                let archive = try Self.pack(source)
                try await s3.putObject(
                    bucket: bucket, key: "\(job)/source/sourcedir.tar.gz", contentType: "application/gzip", length: Int64(archive.count),
                    body: ByteBufferSequence(ByteBuffer(bytes: archive)))
                var inputs: [JSONValue] = []
                for channel in channels {
                    let (channelName, location) = try Self.pair(channel, option: "--data")
                    let uri: String
                    if location.hasPrefix("s3://") {
                        uri = location
                    } else {
                        try await Self.uploadFolder(location, to: "\(job)/data/\(channelName)/", bucket: bucket, with: s3)
                        uri = "s3://\(bucket)/\(job)/data/\(channelName)/"
                    }
                    inputs.append(.object([
                        "ChannelName": .string(channelName),
                        "DataSource": .object(["S3DataSource": .object(["S3DataType": .string("S3Prefix"), "S3Uri": .string(uri)])]),
                    ]))
                }
                var hps: [String: JSONValue] = [
                    "sagemaker_program": .string(entryPoint),
                    "sagemaker_submit_directory": .string("s3://\(bucket)/\(job)/source/sourcedir.tar.gz"),
                ]
                for item in hyperparameters {
                    let (key, value) = try Self.pair(item, option: "--hp")
                    hps[key] = .string(value)
                }
                var env: [String: JSONValue] = [:]
                for item in environment {
                    let (key, value) = try Self.pair(item, option: "--env")
                    env[key] = .string(value)
                }
                var request: [String: JSONValue] = [
                    "TrainingJobName": .string(job), "RoleArn": .string("arn:aws:iam::000000000000:role/Osprey"),
                    "AlgorithmSpecification": .object(["TrainingImage": .string(image), "TrainingInputMode": .string("File")]),
                    "HyperParameters": .object(hps), "OutputDataConfig": .object(["S3OutputPath": .string("s3://\(bucket)/output")]),
                    "ResourceConfig": .object([
                        "InstanceType": .string(instanceType), "InstanceCount": .number(Double(instanceCount)), "VolumeSizeInGB": .number(1),
                    ]),
                    "StoppingCondition": .object(["MaxRuntimeInSeconds": .number(Double(maxRuntime))]),
                ]
                if !inputs.isEmpty { request["InputDataConfig"] = .array(inputs) }
                if !env.isEmpty { request["Environment"] = .object(env) }
                _ = try await api.call("SageMaker.CreateTrainingJob", .object(request))
                print("started \(job)")
                guard wait else { return }
                let described = try await TrainingClient(api: api).follow(job, print: { print($0) })
                let status = described["TrainingJobStatus"]?.stringValue ?? ""
                for line in TrainingClient.metrics(described) { print("metric: \(line)") }
                guard status == "Completed" else {
                    throw OspreyError(OspreyError.Code(rawValue: "TrainingJob\(status)"), "\(job) ended \(status): \(described["FailureReason"]?.stringValue ?? "")")
                }
                print("\(job) Completed; model: \(described["ModelArtifacts"]?["S3ModelArtifacts"]?.stringValue ?? "")")
            }
        }

        static func defaultName(_ entryPoint: String) -> String {
            let stem = ((entryPoint as NSString).lastPathComponent as NSString).deletingPathExtension
            let clean = String(stem.map { $0.isLetter || $0.isNumber ? $0 : "-" }).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyyMMdd-HHmmss"
            formatter.timeZone = TimeZone(identifier: "UTC")
            return String((clean.isEmpty ? "job" : clean).prefix(40)) + "-" + formatter.string(from: Date())
        }

        static func pair(_ text: String, option: String) throws -> (String, String) {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw ValidationError("\(option) takes NAME=VALUE, not '\(text)'.")
            }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }

        /// The folder's contents as a gzip tarball, made with the system's `tar`.
        static func pack(_ folder: String) throws -> [UInt8] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(folder) is not a folder.")
            }
            let output = NSTemporaryDirectory() + "osprey-sourcedir-\(UUID().uuidString).tar.gz"
            defer { try? FileManager.default.removeItem(atPath: output) }
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            tar.arguments = ["tar", "-czf", output, "-C", folder, "."]
            try tar.run()
            tar.waitUntilExit()
            guard tar.terminationStatus == 0, let data = FileManager.default.contents(atPath: output) else {
                throw OspreyError(.internalError, "Could not pack \(folder) with tar.")
            }
            return Array(data)
        }

        static func uploadFolder(_ folder: String, to prefix: String, bucket: String, with s3: S3Client) async throws {
            guard let walker = FileManager.default.enumerator(atPath: folder) else { throw ValidationError("\(folder) is not a folder.") }
            var count = 0
            for case let relative as String in walker {
                var isDirectory: ObjCBool = false
                let path = folder + "/" + relative
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                try await Transfers.upload(file: path, to: S3Location(bucket: bucket, key: prefix + relative), with: s3, quiet: true)
                count += 1
            }
            print("uploaded \(count) files from \(folder) to s3://\(bucket)/\(prefix)")
        }
    }
}
