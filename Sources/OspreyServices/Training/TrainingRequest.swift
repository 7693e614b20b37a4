import Foundation
import OspreyCore

/// The parts of a `CreateTrainingJob` request the service acts on, read from the validated JSON.
struct TrainingRequest: Sendable {
    struct Channel: Sendable {
        var name: String
        var bucket: String
        var prefix: String
        var contentType: String?
        var inputMode: String
        var sharded: Bool
        /// `S3DataType: ManifestFile`: the URI names a JSON manifest `[{"prefix": "s3://…/"}, "key", …]`, not a prefix.
        var manifest: Bool
    }

    var name: String
    var image: String
    /// The local Python environment the image maps to.
    var pythonEnvironment: ImageRegistry.Environment
    var entrypoint: [String]?
    var hyperparameters: [String: String]
    var environment: [String: String]
    var channels: [Channel]
    var output: S3URI
    var instanceType: String
    var instanceCount: Int
    var maxRuntimeSeconds: Int
    /// `AlgorithmSpecification.MetricDefinitions`: a name and a regex whose first group is the value.
    var metricDefinitions: [(name: String, regex: String)]
    /// `EnableManagedSpotTraining`: the job may be interrupted and restarted from its checkpoints.
    var managedSpot: Bool
    /// `StoppingCondition.MaxWaitTimeInSeconds` (spot only): training plus waiting for capacity.
    var maxWaitSeconds: Int?
    /// `CheckpointConfig`: where checkpoints sync to, and the folder under each host's `/opt/ml` they are read from.
    var checkpoint: (uri: S3URI, relativePath: String)?

    /// Reads and checks the request; throws `.validation` with SageMaker-style messages for what the shapes cannot say.
    init(_ request: JSONValue, images: ImageRegistry.Resolver = ImageRegistry.Resolver(userMappings: [])) throws {
        name = request["TrainingJobName"]?.stringValue ?? ""
        let algorithm = request["AlgorithmSpecification"]
        guard let image = algorithm?["TrainingImage"]?.stringValue else {
            throw OspreyError(.validation, "AlgorithmSpecification.TrainingImage is required: Osprey runs training images, not algorithms.")
        }
        let pythonEnvironment = try images.resolve(image)
        self.image = image
        self.pythonEnvironment = pythonEnvironment
        if let entry = algorithm?["ContainerEntrypoint"]?.arrayValue {
            entrypoint = entry.compactMap(\.stringValue) + (algorithm?["ContainerArguments"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        hyperparameters = (request["HyperParameters"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        environment = (request["Environment"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        guard let outputPath = request["OutputDataConfig"]?["S3OutputPath"]?.stringValue else {
            throw OspreyError(.validation, "OutputDataConfig.S3OutputPath is required.")
        }
        output = try S3URI(outputPath, field: "OutputDataConfig.S3OutputPath")
        var channels: [Channel] = []
        for entry in request["InputDataConfig"]?.arrayValue ?? [] {
            let channelName = entry["ChannelName"]?.stringValue ?? ""
            guard !channels.contains(where: { $0.name == channelName }) else {
                throw OspreyError(.validation, "Channel names must be unique: '\(channelName)' appears twice in InputDataConfig.")
            }
            guard let source = entry["DataSource"]?["S3DataSource"] else {
                throw OspreyError(.validation, "Channel '\(channelName)' needs DataSource.S3DataSource: Osprey reads channels from S3.")
            }
            let type = source["S3DataType"]?.stringValue ?? "S3Prefix"
            guard type == "S3Prefix" || type == "ManifestFile" else {
                throw OspreyError(
                    .validation, "Channel '\(channelName)': S3DataType \(type) is not supported yet; use S3Prefix or ManifestFile.")
            }
            let uri = try S3URI(source["S3Uri"]?.stringValue ?? "", field: "InputDataConfig.\(channelName).S3Uri")
            channels.append(
                Channel(
                    name: channelName, bucket: uri.bucket, prefix: uri.key, contentType: entry["ContentType"]?.stringValue,
                    inputMode: entry["InputMode"]?.stringValue ?? algorithm?["TrainingInputMode"]?.stringValue ?? "File",
                    sharded: source["S3DataDistributionType"]?.stringValue == "ShardedByS3Key", manifest: type == "ManifestFile"
                )
            )
        }
        self.channels = channels
        instanceType = request["ResourceConfig"]?["InstanceType"]?.stringValue ?? "ml.m5.large"
        instanceCount = Int(request["ResourceConfig"]?["InstanceCount"]?.numberValue ?? 1)
        guard (1...16).contains(instanceCount) else {
            throw OspreyError(.validation, "ResourceConfig.InstanceCount must be between 1 and 16 on the local executor, not \(instanceCount).")
        }
        maxRuntimeSeconds = Int(request["StoppingCondition"]?["MaxRuntimeInSeconds"]?.numberValue ?? 86_400)
        managedSpot = request["EnableManagedSpotTraining"]?.boolValue ?? false
        maxWaitSeconds = request["StoppingCondition"]?["MaxWaitTimeInSeconds"]?.numberValue.map { Int($0) }
        if managedSpot {
            guard let maxWait = maxWaitSeconds, maxWait >= maxRuntimeSeconds else {
                throw OspreyError(
                    .validation, "Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds")
            }
        } else if maxWaitSeconds != nil {
            throw OspreyError(
                .validation, "Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true")
        }
        if let config = request["CheckpointConfig"] {
            let uri = try S3URI(config["S3Uri"]?.stringValue ?? "", field: "CheckpointConfig.S3Uri")
            let local = config["LocalPath"]?.stringValue ?? "/opt/ml/checkpoints"
            let relative = local.hasPrefix("/opt/ml/") ? String(local.dropFirst("/opt/ml/".count)) : ""
            guard !relative.isEmpty, !relative.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                throw OspreyError(.validation, "CheckpointConfig.LocalPath must be a folder under /opt/ml/, not '\(local)'.")
            }
            checkpoint = (uri, relative.hasSuffix("/") ? String(relative.dropLast()) : relative)
        }
        metricDefinitions = []
        for definition in algorithm?["MetricDefinitions"]?.arrayValue ?? [] {
            let name = definition["Name"]?.stringValue ?? ""
            let pattern = definition["Regex"]?.stringValue ?? ""
            guard (try? Regex(pattern)) != nil else {
                throw OspreyError(.validation, "MetricDefinitions: the regex of metric '\(name)' is not a valid regular expression: \(pattern)")
            }
            metricDefinitions.append((name, pattern))
        }
    }

    /// Where the model goes: `{S3OutputPath}/{job}/output/model.tar.gz`.
    var modelArtifacts: S3URI { output.appending("\(name)/output/model.tar.gz") }
    var outputArchive: S3URI { output.appending("\(name)/output/output.tar.gz") }
}

/// `s3://bucket/key`.
public struct S3URI: Sendable, Hashable, CustomStringConvertible {
    public var bucket: String
    public var key: String

    public init(_ text: String, field: String) throws {
        guard text.hasPrefix("s3://") else {
            throw OspreyError(.validation, "\(field) must be an s3://bucket/prefix URI, not '\(text)'.")
        }
        let rest = text.dropFirst("s3://".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bucket = parts.first, !bucket.isEmpty else { throw OspreyError(.validation, "\(field) names no bucket: '\(text)'.") }
        self.bucket = String(bucket)
        self.key = parts.count > 1 ? String(parts[1]) : ""
    }

    init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    func appending(_ path: String) -> S3URI {
        S3URI(bucket: bucket, key: key.isEmpty || key.hasSuffix("/") ? key + path : key + "/" + path)
    }

    public var description: String { "s3://\(bucket)/\(key)" }
}
