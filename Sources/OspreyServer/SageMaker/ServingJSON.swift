import Foundation
import OspreyCore

/// Models, endpoint configurations and endpoints as SageMaker's JSON answers show them (botocore's output shapes).
/// Unset structures are omitted, never sent empty (the SDK 3.x validates `DataCaptureConfig: {}` and fails).
enum ServingJSON {
    static func describe(_ model: ModelRecord) -> JSONValue {
        var out: [String: JSONValue] = [
            "ModelName": .string(model.name), "ModelArn": .string(model.arn), "CreationTime": time(model.creationTime),
            "EnableNetworkIsolation": model.request["EnableNetworkIsolation"] ?? .bool(false),
        ]
        echo(["PrimaryContainer", "Containers", "InferenceExecutionConfig", "ExecutionRoleArn", "VpcConfig"], from: model.request, into: &out)
        return .object(out)
    }

    static func summary(_ model: ModelRecord) -> JSONValue {
        .object(["ModelName": .string(model.name), "ModelArn": .string(model.arn), "CreationTime": time(model.creationTime)])
    }

    static func describe(_ config: EndpointConfigRecord) -> JSONValue {
        var out: [String: JSONValue] = [
            "EndpointConfigName": .string(config.name), "EndpointConfigArn": .string(config.arn), "CreationTime": time(config.creationTime),
        ]
        // As given, with the defaults SageMaker fills in.
        let given = config.request["ProductionVariants"]?.arrayValue ?? []
        out["ProductionVariants"] = .array(
            zip(given, config.variants).map { entry, variant in
                var members = entry.objectValue ?? [:]
                members["InitialVariantWeight"] = .number(variant.weight)
                members["InitialInstanceCount"] = .number(Double(variant.instanceCount))
                return .object(members)
            })
        echo(["KmsKeyId", "ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation", "MetricsConfig"], from: config.request, into: &out)
        if let capture = config.dataCapture { out["DataCaptureConfig"] = capture.json }
        return .object(out)
    }

    static func summary(_ config: EndpointConfigRecord) -> JSONValue {
        .object([
            "EndpointConfigName": .string(config.name), "EndpointConfigArn": .string(config.arn), "CreationTime": time(config.creationTime),
        ])
    }

    static func describe(_ endpoint: Endpoint) -> JSONValue {
        var out: [String: JSONValue] = [
            "EndpointName": .string(endpoint.name), "EndpointArn": .string(endpoint.arn), "EndpointConfigName": .string(endpoint.configName),
            "EndpointStatus": .string(endpoint.status.rawValue), "CreationTime": time(endpoint.creationTime),
            "LastModifiedTime": time(endpoint.lastModifiedTime),
        ]
        if !endpoint.variants.isEmpty { out["ProductionVariants"] = .array(endpoint.variants.map { variant($0, of: endpoint) }) }
        if let reason = endpoint.failureReason { out["FailureReason"] = .string(reason) }
        if let capture = endpoint.deployed?.config.dataCapture { out["DataCaptureConfig"] = capture.summary }
        if let policy = endpoint.deployment, policy.request != .object([:]) { out["LastDeploymentConfig"] = policy.request }
        if let pending = endpoint.pendingConfigName {
            var summary: [String: JSONValue] = ["EndpointConfigName": .string(pending), "StartTime": time(endpoint.lastModifiedTime)]
            if let variants = endpoint.pendingVariants, !variants.isEmpty {
                summary["ProductionVariants"] = .array(variants.map { variant($0, of: nil) })
            }
            out["PendingDeploymentSummary"] = .object(summary)
        }
        return .object(out)
    }

    static func summary(_ endpoint: Endpoint) -> JSONValue {
        .object([
            "EndpointName": .string(endpoint.name), "EndpointArn": .string(endpoint.arn), "CreationTime": time(endpoint.creationTime),
            "LastModifiedTime": time(endpoint.lastModifiedTime), "EndpointStatus": .string(endpoint.status.rawValue),
        ])
    }

    /// A `ProductionVariantSummary`; `DeployedImages` from what the fleet was deployed from, when it serves.
    private static func variant(_ variant: EndpointVariant, of endpoint: Endpoint?) -> JSONValue {
        var out: [String: JSONValue] = [
            "VariantName": .string(variant.name), "DesiredWeight": .number(variant.desiredWeight),
            "DesiredInstanceCount": .number(Double(variant.desiredInstanceCount)),
        ]
        if let weight = variant.currentWeight { out["CurrentWeight"] = .number(weight) }
        if let count = variant.currentInstanceCount { out["CurrentInstanceCount"] = .number(Double(count)) }
        if variant.currentInstanceCount != nil, let model = endpoint?.deployed?.models.first(where: { $0.name == variant.modelName }) {
            out["DeployedImages"] = .array(
                model.containers.map { .object(["SpecifiedImage": .string($0.image), "ResolvedImage": .string($0.image)]) })
        }
        return .object(out)
    }

    /// Copies request members that were given (not null, not an empty structure).
    private static func echo(_ members: [String], from request: JSONValue, into out: inout [String: JSONValue]) {
        for member in members {
            if let value = request[member], value != .null, value != .object([:]) { out[member] = value }
        }
    }

    static func time(_ date: Date) -> JSONValue { TrainingJobJSON.time(date) }
}
