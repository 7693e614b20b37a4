import Foundation

/// Reads the serving requests (already checked against botocore's shapes) into their parsed forms, checking what the shapes
/// cannot say. Every refusal is a `.validation` error naming the member at fault. Image names and model existence are
/// checked by the service, which knows the image registry and the store.
public enum ServingValidation {
    /// Containers of an inference pipeline Osprey runs.
    public static let maxPipelineContainers = 5

    /// The containers of a `CreateModel` request: `PrimaryContainer`, or `Containers` (an inference pipeline).
    public static func containers(of request: JSONValue) throws -> [ModelContainer] {
        let primary = request["PrimaryContainer"].flatMap { $0 == .null ? nil : $0 }
        let list = request["Containers"]?.arrayValue
        switch (primary, list) {
        case (nil, nil), (nil, .some([])):
            throw OspreyError(.validation, "Either PrimaryContainer or Containers must be specified.")
        case (.some, .some):
            throw OspreyError(.validation, "PrimaryContainer and Containers cannot both be specified.")
        case (.some(let container), nil):
            return [try parse(container, field: "PrimaryContainer")]
        case (nil, .some(let containers)):
            guard containers.count <= maxPipelineContainers else {
                throw OspreyError(
                    .validation, "Osprey runs inference pipelines of 2 to \(maxPipelineContainers) containers; Containers has \(containers.count).")
            }
            let parsed = try containers.enumerated().map { try parse($0.element, field: "Containers.\($0.offset + 1)") }
            if parsed.count > 1, let index = parsed.firstIndex(where: { $0.mode == .multiModel }) {
                throw OspreyError(.validation, "Containers.\(index + 1): Mode MultiModel is not supported in an inference pipeline.")
            }
            var hostnames: Set<String> = []
            for hostname in parsed.compactMap(\.hostname) where !hostnames.insert(hostname).inserted {
                throw OspreyError(.validation, "ContainerHostname \"\(hostname)\" appears more than once in Containers.")
            }
            if request["InferenceExecutionConfig"]?["Mode"]?.stringValue == "Direct" {
                throw OspreyError(
                    .validation, "Osprey runs inference pipelines in Serial mode; InferenceExecutionConfig.Mode Direct is not supported.")
            }
            return parsed
        }
    }

    private static func parse(_ container: JSONValue, field: String) throws -> ModelContainer {
        if container["ModelPackageName"]?.stringValue != nil {
            throw OspreyError(.validation, "\(field).ModelPackageName is not supported: Osprey runs container images; give \(field).Image.")
        }
        guard let image = container["Image"]?.stringValue, !image.isEmpty else {
            throw OspreyError(.validation, "\(field).Image is required.")
        }
        let mode = container["Mode"]?.stringValue.flatMap(ModelContainer.Mode.init(rawValue:)) ?? .singleModel
        var data: ModelData?
        if let url = container["ModelDataUrl"]?.stringValue {
            guard container["ModelDataSource"] == nil else {
                throw OspreyError(.validation, "\(field): ModelDataUrl and ModelDataSource cannot both be specified.")
            }
            try checkS3(url, field: "\(field).ModelDataUrl")
            data = ModelData(uri: url, isArchive: true, isPrefix: mode == .multiModel)
        } else if let source = container["ModelDataSource"]?["S3DataSource"] {
            let uri = source["S3Uri"]?.stringValue ?? ""
            try checkS3(uri, field: "\(field).ModelDataSource.S3DataSource.S3Uri")
            let prefix = source["S3DataType"]?.stringValue == "S3Prefix"
            let archive = source["CompressionType"]?.stringValue == "Gzip"
            if prefix && archive {
                throw OspreyError(.validation, "\(field).ModelDataSource: CompressionType Gzip needs S3DataType S3Object.")
            }
            data = ModelData(uri: uri, isArchive: archive, isPrefix: prefix)
        }
        if mode == .multiModel, data?.isPrefix != true {
            throw OspreyError(.validation, "\(field): Mode MultiModel needs ModelDataUrl, the s3:// prefix of the model archives.")
        }
        return ModelContainer(
            hostname: container["ContainerHostname"]?.stringValue, image: image, mode: mode, modelData: data,
            environment: (container["Environment"]?.objectValue ?? [:]).compactMapValues(\.stringValue))
    }

    /// Checks `s3://bucket/…`.
    static func checkS3(_ uri: String, field: String) throws {
        guard uri.hasPrefix("s3://"), let bucket = uri.dropFirst(5).split(separator: "/", omittingEmptySubsequences: false).first,
            !bucket.isEmpty
        else {
            throw OspreyError(.validation, "\(field) must be an s3://bucket/key URI, not '\(uri)'.")
        }
    }

    /// Members of `CreateEndpointConfig` Osprey does not implement: refused, never accepted and ignored.
    static let unsupportedConfigMembers = ["AsyncInferenceConfig", "ShadowProductionVariants", "ExplainerConfig"]

    /// The production variants of a `CreateEndpointConfig` request.
    public static func variants(of request: JSONValue) throws -> [VariantSpec] {
        for member in unsupportedConfigMembers where request[member] != nil && request[member] != .null {
            throw OspreyError(.validation, "\(member) is not supported by Osprey's real-time endpoints.")
        }
        var variants: [VariantSpec] = []
        for (index, entry) in (request["ProductionVariants"]?.arrayValue ?? []).enumerated() {
            let field = "ProductionVariants.\(index + 1)"
            let name = entry["VariantName"]?.stringValue ?? ""
            try Names.validateResourceName(name, field: "productionVariants.\(index + 1).member.variantName")
            guard !variants.contains(where: { $0.name == name }) else {
                throw OspreyError(.validation, "Variant names must be unique: \"\(name)\" appears more than once in ProductionVariants.")
            }
            guard let model = entry["ModelName"]?.stringValue, !model.isEmpty else {
                throw OspreyError(.validation, "\(field).ModelName is required (variant \"\(name)\").")
            }
            let count: Int
            if let given = entry["InitialInstanceCount"]?.numberValue {
                count = Int(given)
            } else if entry["ServerlessConfig"] != nil {
                count = 1
            } else {
                throw OspreyError(.validation, "\(field).InitialInstanceCount is required (variant \"\(name)\").")
            }
            try checkInstanceCount(count, variant: name)
            let weight = entry["InitialVariantWeight"]?.numberValue ?? 1
            try checkWeight(weight, variant: name)
            variants.append(
                VariantSpec(name: name, modelName: model, instanceCount: count, weight: weight, instanceType: entry["InstanceType"]?.stringValue))
        }
        guard !variants.isEmpty else { throw OspreyError(.validation, "ProductionVariants must list at least one variant.") }
        try checkSomeWeight(variants.map(\.weight))
        return variants
    }

    static func checkWeight(_ weight: Double, variant: String) throws {
        guard weight.isFinite, weight >= 0 else {
            throw OspreyError(.validation, "The weight of variant \"\(variant)\" must be 0 or more, not \(weight).")
        }
    }

    static func checkInstanceCount(_ count: Int, variant: String) throws {
        guard count >= 1 else {
            throw OspreyError(.validation, "The instance count of variant \"\(variant)\" must be at least 1, not \(count).")
        }
    }

    static func checkSomeWeight(_ weights: [Double]) throws {
        guard weights.contains(where: { $0 > 0 }) else {
            throw OspreyError(.validation, "At least one production variant must have a weight greater than 0.")
        }
    }

    /// A `DeploymentConfig`, nil when absent. Alarms must be Osprey's own (CONTRACTS "Rollback guards").
    public static func deploymentPolicy(_ value: JSONValue?) throws -> DeploymentPolicy? {
        guard let value, value != .null else { return nil }
        var policy = DeploymentPolicy(request: value)
        for alarm in value["AutoRollbackConfiguration"]?["Alarms"]?.arrayValue ?? [] {
            let name = alarm["AlarmName"]?.stringValue ?? ""
            guard let parsed = RollbackAlarm(name: name) else {
                throw OspreyError(
                    .validation,
                    "Unknown alarm '\(name)' in DeploymentConfig.AutoRollbackConfiguration.Alarms: Osprey evaluates its own "
                        + "alarms on the new fleet; use \(RollbackAlarm.accepted.joined(separator: ", ")).")
            }
            policy.alarms.append(parsed)
        }
        let blueGreen = value["BlueGreenUpdatePolicy"]
        let rolling = value["RollingUpdatePolicy"]
        if blueGreen != nil, rolling != nil {
            throw OspreyError(.validation, "DeploymentConfig: BlueGreenUpdatePolicy and RollingUpdatePolicy cannot both be specified.")
        }
        if let blueGreen {
            let routing = blueGreen["TrafficRoutingConfiguration"]
            let kind = routing?["Type"]?.stringValue.flatMap(DeploymentPolicy.TrafficRouting.Kind.init(rawValue:)) ?? .allAtOnce
            var step: DeploymentPolicy.CapacitySize?
            switch kind {
            case .allAtOnce: step = nil
            case .canary: step = try capacity(routing?["CanarySize"], field: "TrafficRoutingConfiguration.CanarySize", for: "CANARY")
            case .linear: step = try capacity(routing?["LinearStepSize"], field: "TrafficRoutingConfiguration.LinearStepSize", for: "LINEAR")
            }
            policy.trafficRouting = .init(kind: kind, waitIntervalSeconds: int(routing?["WaitIntervalInSeconds"]) ?? 0, step: step)
            policy.terminationWaitSeconds = int(blueGreen["TerminationWaitInSeconds"]) ?? 0
            policy.maximumExecutionTimeoutSeconds = int(blueGreen["MaximumExecutionTimeoutInSeconds"])
        }
        if let rolling {
            policy.rollingUpdate = .init(
                maximumBatchSize: try capacity(rolling["MaximumBatchSize"], field: "RollingUpdatePolicy.MaximumBatchSize", for: "a rolling update"),
                waitIntervalSeconds: int(rolling["WaitIntervalInSeconds"]) ?? 0,
                rollbackMaximumBatchSize: try rolling["RollbackMaximumBatchSize"].map {
                    try capacity($0, field: "RollingUpdatePolicy.RollbackMaximumBatchSize", for: "a rolling update")
                })
            policy.maximumExecutionTimeoutSeconds = int(rolling["MaximumExecutionTimeoutInSeconds"])
        }
        return policy
    }

    private static func capacity(_ value: JSONValue?, field: String, for kind: String) throws -> DeploymentPolicy.CapacitySize {
        guard let value, let type = value["Type"]?.stringValue, let amount = int(value["Value"]) else {
            throw OspreyError(.validation, "DeploymentConfig: \(field) is required for \(kind).")
        }
        let percent = type == "CAPACITY_PERCENT"
        guard amount >= 1, !percent || amount <= 100 else {
            throw OspreyError(.validation, "DeploymentConfig: \(field).Value must be 1 to \(percent ? "100" : "the instance count"), not \(amount).")
        }
        return .init(isPercent: percent, value: amount)
    }

    private static func int(_ value: JSONValue?) -> Int? { value?.numberValue.map { Int($0) } }

    /// The `DesiredWeightsAndCapacities` of an `UpdateEndpointWeightsAndCapacities` request.
    public static func capacities(_ value: JSONValue?) throws -> [VariantCapacity] {
        try (value?.arrayValue ?? []).map { entry in
            let name = entry["VariantName"]?.stringValue ?? ""
            if entry["ServerlessUpdateConfig"] != nil {
                throw OspreyError(.validation, "ServerlessUpdateConfig is not supported by Osprey (variant \"\(name)\").")
            }
            return VariantCapacity(
                variantName: name, weight: entry["DesiredWeight"]?.numberValue, instanceCount: int(entry["DesiredInstanceCount"]))
        }
    }

    /// The request as stored: without `Tags`, which live beside the record.
    public static func withoutTags(_ request: JSONValue) -> JSONValue {
        guard case .object(var members) = request else { return request }
        members["Tags"] = nil
        return .object(members)
    }

    /// `[{"Key", "Value"}]` as a dictionary.
    public static func tags(_ value: JSONValue?) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in value?.arrayValue ?? [] {
            if let key = tag["Key"]?.stringValue { tags[key] = tag["Value"]?.stringValue ?? "" }
        }
        return tags
    }
}
