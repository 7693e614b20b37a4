import Foundation
import OspreyCore

/// The target-tracking settings of a `PutScalingPolicy` request, checked: Osprey runs `TargetTrackingScaling` on
/// `SageMakerVariantInvocationsPerInstance` and refuses every other policy type or metric with a `ValidationException`.
struct ScalingPolicyRequest: Sendable {
    var targetValue: Double
    var scaleInCooldown: Int
    var scaleOutCooldown: Int
    var disableScaleIn: Bool
    /// `TargetTrackingScalingPolicyConfiguration` as given.
    var configuration: JSONValue

    init(_ request: JSONValue) throws {
        // Application Auto Scaling takes a request without PolicyType as a StepScaling policy.
        let type = request["PolicyType"]?.stringValue ?? "StepScaling"
        guard type == "TargetTrackingScaling" else {
            throw OspreyError(.validation, "\(type) policies are not supported by Osprey; use PolicyType TargetTrackingScaling.")
        }
        for other in ["StepScalingPolicyConfiguration", "PredictiveScalingPolicyConfiguration"] where request[other] != nil {
            throw OspreyError(
                .validation,
                "\(other) is not supported by Osprey; a TargetTrackingScaling policy takes only "
                    + "TargetTrackingScalingPolicyConfiguration.")
        }
        guard let configuration = request["TargetTrackingScalingPolicyConfiguration"], configuration != .null else {
            throw OspreyError(.validation, "TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.")
        }
        if configuration["CustomizedMetricSpecification"] != nil {
            throw OspreyError(
                .validation,
                "CustomizedMetricSpecification is not supported by Osprey; use PredefinedMetricSpecification "
                    + "\(ScalableVariant.metricType).")
        }
        let metric = configuration["PredefinedMetricSpecification"]
        guard let type = metric?["PredefinedMetricType"]?.stringValue, type == ScalableVariant.metricType else {
            let given = metric?["PredefinedMetricType"]?.stringValue.map { " (not \($0))" } ?? ""
            throw OspreyError(
                .validation, "Osprey tracks PredefinedMetricSpecification.PredefinedMetricType \(ScalableVariant.metricType) only\(given).")
        }
        if metric?["ResourceLabel"] != nil {
            throw OspreyError(.validation, "ResourceLabel is not valid for the metric type \(ScalableVariant.metricType).")
        }
        guard let target = configuration["TargetValue"]?.numberValue, target.isFinite, target > 0 else {
            throw OspreyError(.validation, "TargetValue must be a number greater than 0.")
        }
        self.targetValue = target
        self.scaleInCooldown = try Self.cooldown(configuration, "ScaleInCooldown")
        self.scaleOutCooldown = try Self.cooldown(configuration, "ScaleOutCooldown")
        self.disableScaleIn = configuration["DisableScaleIn"]?.boolValue ?? false
        self.configuration = configuration
    }

    private static func cooldown(_ configuration: JSONValue, _ name: String) throws -> Int {
        guard let value = configuration[name] else { return ScalingPolicy.defaultCooldownSeconds }
        guard let seconds = value.numberValue.flatMap({ Int(exactly: $0) }), seconds >= 0 else {
            throw OspreyError(.validation, "\(name) must be a whole number of seconds of at least 0, not \(value.text).")
        }
        return seconds
    }
}
