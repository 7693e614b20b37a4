import Foundation
import OspreyCore

/// Transform jobs as SageMaker's JSON answers show them: the request's members echoed as given, unset ones omitted.
enum TransformJobJSON {
    /// The `CreateTransformJob` members DescribeTransformJob echoes.
    static let echoed = [
        "MaxConcurrentTransforms", "ModelClientConfig", "MaxPayloadInMB", "BatchStrategy", "Environment", "TransformInput",
        "TransformOutput", "DataCaptureConfig", "TransformResources", "DataProcessing", "ExperimentConfig",
    ]

    static func describe(_ job: TransformJob) -> JSONValue {
        var out: [String: JSONValue] = [
            "TransformJobName": .string(job.name), "TransformJobArn": .string(job.arn),
            "TransformJobStatus": .string(job.status.rawValue), "ModelName": .string(job.modelName),
            "CreationTime": time(job.creationTime),
        ]
        for member in echoed {
            if let value = job.request[member], value != .null, value != .object([:]) { out[member] = value }
        }
        if let reason = job.failureReason { out["FailureReason"] = .string(reason) }
        if let start = job.transformStartTime { out["TransformStartTime"] = time(start) }
        if let end = job.transformEndTime { out["TransformEndTime"] = time(end) }
        return .object(out)
    }

    static func summary(_ job: TransformJob) -> JSONValue {
        var out: [String: JSONValue] = [
            "TransformJobName": .string(job.name), "TransformJobArn": .string(job.arn), "CreationTime": time(job.creationTime),
            "LastModifiedTime": time(job.lastModifiedTime), "TransformJobStatus": .string(job.status.rawValue),
        ]
        if let end = job.transformEndTime { out["TransformEndTime"] = time(end) }
        if let reason = job.failureReason { out["FailureReason"] = .string(reason) }
        return .object(out)
    }

    static func time(_ date: Date) -> JSONValue { TrainingJobJSON.time(date) }
}
