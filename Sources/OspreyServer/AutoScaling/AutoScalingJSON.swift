import Foundation
import OspreyCore
import OspreyServices

/// Application Auto Scaling's output shapes (`ScalableTarget`, `ScalingPolicy`, `ScalingActivity`) from Osprey's records.
enum AutoScalingJSON {
    static func page(_ member: String, _ items: [JSONValue], _ nextToken: String?) -> JSONValue {
        var output: [String: JSONValue] = [member: .array(items)]
        if let nextToken { output["NextToken"] = .string(nextToken) }
        return .object(output)
    }

    static func target(_ target: ScalableTarget) -> JSONValue {
        .object(
            identity(target.variant).merging([
                "MinCapacity": .number(Double(target.minCapacity)), "MaxCapacity": .number(Double(target.maxCapacity)),
                "RoleARN": .string(target.roleARN), "CreationTime": time(target.creationTime), "ScalableTargetARN": .string(target.arn),
                "SuspendedState": .object([
                    "DynamicScalingInSuspended": .bool(target.scaleInSuspended), "DynamicScalingOutSuspended": .bool(target.scaleOutSuspended),
                    "ScheduledScalingSuspended": .bool(target.scheduledSuspended),
                ]),
            ]) { $1 })
    }

    static func policy(_ policy: ScalingPolicy) -> JSONValue {
        .object(
            identity(policy.variant).merging([
                "PolicyARN": .string(policy.arn), "PolicyName": .string(policy.name), "PolicyType": .string("TargetTrackingScaling"),
                "TargetTrackingScalingPolicyConfiguration": policy.configuration, "Alarms": .array([]), "CreationTime": time(policy.creationTime),
            ]) { $1 })
    }

    static func activity(_ activity: ScalingActivity) -> JSONValue {
        var fields = identity(activity.variant)
        fields["ActivityId"] = .string(activity.id)
        fields["Description"] = .string(activity.description)
        fields["Cause"] = .string(activity.cause)
        fields["StartTime"] = time(activity.startTime)
        fields["StatusCode"] = .string(activity.status.rawValue)
        if let end = activity.endTime { fields["EndTime"] = time(end) }
        if let message = activity.statusMessage { fields["StatusMessage"] = .string(message) }
        return .object(fields)
    }

    private static func identity(_ variant: ScalableVariant) -> [String: JSONValue] {
        [
            "ServiceNamespace": .string(ScalableVariant.serviceNamespace), "ResourceId": .string(variant.resourceId),
            "ScalableDimension": .string(ScalableVariant.scalableDimension),
        ]
    }

    static func time(_ date: Date) -> JSONValue { TrainingJobJSON.time(date) }
}
