import Foundation
import OspreyCore

/// Training jobs as SageMaker's JSON answers show them. Unset structures are omitted, never sent empty (SDK 3.x validates).
enum TrainingJobJSON {
    static func describe(_ job: TrainingJob, now: Date) -> JSONValue {
        let request = job.request
        var out: [String: JSONValue] = [
            "TrainingJobName": .string(job.name),
            "TrainingJobArn": .string(job.arn),
            "TrainingJobStatus": .string(job.status.rawValue),
            "SecondaryStatus": .string(job.secondaryStatus.rawValue),
            "CreationTime": time(job.creationTime),
            "LastModifiedTime": time(job.lastModifiedTime),
            "ModelArtifacts": .object(["S3ModelArtifacts": .string(job.modelArtifacts ?? expectedModel(job))]),
            "StoppingCondition": request["StoppingCondition"] ?? .object(["MaxRuntimeInSeconds": .number(86_400)]),
            "SecondaryStatusTransitions": .array(job.transitions.map(transition)),
            "FinalMetricDataList": .array(
                job.finalMetrics.map {
                    .object(["MetricName": .string($0.name), "Value": .number($0.value), "Timestamp": time($0.timestamp)])
                }),
            "EnableNetworkIsolation": request["EnableNetworkIsolation"] ?? .bool(false),
            "EnableInterContainerTrafficEncryption": request["EnableInterContainerTrafficEncryption"] ?? .bool(false),
            "EnableManagedSpotTraining": request["EnableManagedSpotTraining"] ?? .bool(false),
        ]
        var algorithm = request["AlgorithmSpecification"]?.objectValue ?? [:]
        algorithm["TrainingInputMode"] = algorithm["TrainingInputMode"] ?? .string("File")
        out["AlgorithmSpecification"] = .object(algorithm)
        var resources = request["ResourceConfig"]?.objectValue ?? [:]
        resources["InstanceCount"] = resources["InstanceCount"] ?? .number(1)
        resources["InstanceType"] = resources["InstanceType"] ?? .string("ml.m5.large")
        resources["VolumeSizeInGB"] = resources["VolumeSizeInGB"] ?? .number(30)
        out["ResourceConfig"] = .object(resources)
        // As SageMaker answers: `KmsKeyId` is always there, empty when none was given (SDK 2.x's `Estimator.attach` indexes it).
        if var output = request["OutputDataConfig"]?.objectValue {
            output["KmsKeyId"] = output["KmsKeyId"] ?? .string("")
            out["OutputDataConfig"] = .object(output)
        }
        // Echoed as given, only when the request had them.
        for member in [
            "HyperParameters", "RoleArn", "InputDataConfig", "VpcConfig", "CheckpointConfig", "DebugHookConfig",
            "DebugRuleConfigurations", "TensorBoardOutputConfig", "ExperimentConfig", "ProfilerConfig", "ProfilerRuleConfigurations",
            "Environment", "RetryStrategy", "RemoteDebugConfig", "InfraCheckConfig",
        ] {
            if let value = request[member], value != .null, value != .object([:]) { out[member] = value }
        }
        if let reason = job.failureReason { out["FailureReason"] = .string(reason) }
        if let start = job.trainingStartTime { out["TrainingStartTime"] = time(start) }
        if let end = job.trainingEndTime { out["TrainingEndTime"] = time(end) }
        if let seconds = job.trainingSeconds(now: now), let billable = job.billableSeconds(now: now), job.status.isTerminal {
            out["TrainingTimeInSeconds"] = .number(Double(seconds))
            out["BillableTimeInSeconds"] = .number(Double(billable))
        }
        return .object(out)
    }

    static func summary(_ job: TrainingJob) -> JSONValue {
        var out: [String: JSONValue] = [
            "TrainingJobName": .string(job.name), "TrainingJobArn": .string(job.arn), "CreationTime": time(job.creationTime),
            "LastModifiedTime": time(job.lastModifiedTime), "TrainingJobStatus": .string(job.status.rawValue),
            "SecondaryStatus": .string(job.secondaryStatus.rawValue),
        ]
        if let end = job.trainingEndTime { out["TrainingEndTime"] = time(end) }
        return .object(out)
    }

    static func transition(_ entry: SecondaryStatusTransition) -> JSONValue {
        var out: [String: JSONValue] = [
            "Status": .string(entry.status.rawValue), "StartTime": time(entry.startTime), "StatusMessage": .string(entry.message),
        ]
        if let end = entry.endTime { out["EndTime"] = time(end) }
        return .object(out)
    }

    static func expectedModel(_ job: TrainingJob) -> String {
        var path = job.request["OutputDataConfig"]?["S3OutputPath"]?.stringValue ?? ""
        if !path.hasSuffix("/") { path += "/" }
        return path + job.name + "/output/model.tar.gz"
    }

    /// Epoch seconds with milliseconds, as AWS JSON 1.1 sends timestamps.
    static func time(_ date: Date) -> JSONValue { .number((date.timeIntervalSince1970 * 1000).rounded() / 1000) }
}
