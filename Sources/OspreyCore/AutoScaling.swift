import Foundation

/// The one kind of scalable resource Osprey manages: a SageMaker endpoint variant's instance count.
public struct ScalableVariant: Sendable, Hashable, Codable {
    public static let serviceNamespace = "sagemaker"
    public static let scalableDimension = "sagemaker:variant:DesiredInstanceCount"
    /// The only metric target tracking follows.
    public static let metricType = "SageMakerVariantInvocationsPerInstance"

    public var endpointName: String
    public var variantName: String

    public init(endpointName: String, variantName: String) {
        self.endpointName = endpointName
        self.variantName = variantName
    }

    /// Parses `endpoint/{EndpointName}/variant/{VariantName}`; throws `.validation` for anything else.
    public init(resourceId: String) throws {
        let parts = resourceId.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "endpoint", parts[2] == "variant", !parts[1].isEmpty, !parts[3].isEmpty else {
            throw OspreyError(
                .validation,
                "Unsupported resource ID '\(resourceId)': Osprey scales SageMaker endpoint variants, "
                    + "whose resource ID is endpoint/{EndpointName}/variant/{VariantName}.")
        }
        self.init(endpointName: parts[1], variantName: parts[3])
    }

    public var resourceId: String { "endpoint/\(endpointName)/variant/\(variantName)" }
}

/// A registered scalable target (`RegisterScalableTarget`): the bounds of a variant's instance count.
public struct ScalableTarget: Sendable, Hashable, Codable {
    public var accountId: String
    public var variant: ScalableVariant
    public var minCapacity: Int
    public var maxCapacity: Int
    public var roleARN: String
    public var arn: String
    public var creationTime: Date
    /// `SuspendedState.DynamicScalingInSuspended` / `DynamicScalingOutSuspended` / `ScheduledScalingSuspended`.
    public var scaleInSuspended = false
    public var scaleOutSuspended = false
    public var scheduledSuspended = false

    public init(accountId: String, variant: ScalableVariant, minCapacity: Int, maxCapacity: Int, roleARN: String, arn: String, creationTime: Date) {
        self.accountId = accountId
        self.variant = variant
        self.minCapacity = minCapacity
        self.maxCapacity = maxCapacity
        self.roleARN = roleARN
        self.arn = arn
        self.creationTime = creationTime
    }

    public var resourceId: String { variant.resourceId }
}

/// A target-tracking scaling policy on a variant, following `SageMakerVariantInvocationsPerInstance`.
public struct ScalingPolicy: Sendable, Hashable, Codable {
    /// What Application Auto Scaling assumes for SageMaker variants when a cooldown is not given.
    public static let defaultCooldownSeconds = 300

    public var accountId: String
    public var variant: ScalableVariant
    public var name: String
    public var arn: String
    public var creationTime: Date
    /// Invocations per instance per minute to hold the variant at.
    public var targetValue: Double
    public var scaleInCooldownSeconds: Int
    public var scaleOutCooldownSeconds: Int
    public var disableScaleIn: Bool
    /// `TargetTrackingScalingPolicyConfiguration` as given (Describe echoes it).
    public var configuration: JSONValue

    public init(
        accountId: String, variant: ScalableVariant, name: String, arn: String, creationTime: Date, targetValue: Double,
        scaleInCooldownSeconds: Int = ScalingPolicy.defaultCooldownSeconds, scaleOutCooldownSeconds: Int = ScalingPolicy.defaultCooldownSeconds,
        disableScaleIn: Bool = false, configuration: JSONValue
    ) {
        self.accountId = accountId
        self.variant = variant
        self.name = name
        self.arn = arn
        self.creationTime = creationTime
        self.targetValue = targetValue
        self.scaleInCooldownSeconds = scaleInCooldownSeconds
        self.scaleOutCooldownSeconds = scaleOutCooldownSeconds
        self.disableScaleIn = disableScaleIn
        self.configuration = configuration
    }

    public var resourceId: String { variant.resourceId }
}

/// `ScalingActivityStatusCode`, the values Osprey uses.
public enum ScalingActivityStatus: String, Sendable, Hashable, Codable {
    case inProgress = "InProgress"
    case successful = "Successful"
    case failed = "Failed"
}

/// One change of a variant's instance count made by the autoscaler (`DescribeScalingActivities`).
public struct ScalingActivity: Sendable, Hashable, Codable {
    public var id: String
    public var accountId: String
    public var variant: ScalableVariant
    public var fromCapacity: Int
    public var toCapacity: Int
    /// Why: the bound that moved or the policy and metric that triggered it.
    public var cause: String
    public var startTime: Date
    public var endTime: Date?
    public var status: ScalingActivityStatus
    public var statusMessage: String?

    public init(
        id: String, accountId: String, variant: ScalableVariant, fromCapacity: Int, toCapacity: Int, cause: String, startTime: Date,
        status: ScalingActivityStatus = .inProgress, statusMessage: String? = nil
    ) {
        self.id = id
        self.accountId = accountId
        self.variant = variant
        self.fromCapacity = fromCapacity
        self.toCapacity = toCapacity
        self.cause = cause
        self.startTime = startTime
        self.status = status
        self.statusMessage = statusMessage
    }

    public var resourceId: String { variant.resourceId }
    public var description: String { "Setting desired instance count to \(toCapacity)." }
    public var isScaleOut: Bool { toCapacity > fromCapacity }
}

/// Scalable targets, their policies and the scaling activities; each call one transaction.
public protocol AutoScalingStore: Sendable {
    /// Inserts the target or replaces the account's target of that resource.
    func putScalableTarget(_ target: ScalableTarget) async throws
    func scalableTarget(accountId: String, resourceId: String) async throws -> ScalableTarget?
    /// The account's targets (every account's when nil), by account and resource id.
    func scalableTargets(accountId: String?) async throws -> [ScalableTarget]
    /// Removes the target and its policies together; returns false when there was none. Activities stay.
    func deleteScalableTarget(accountId: String, resourceId: String) async throws -> Bool

    /// Inserts or replaces the policy (by account, resource and name) if its target is still registered; returns false,
    /// storing nothing, when it is not.
    func putScalingPolicy(_ policy: ScalingPolicy) async throws -> Bool
    /// The account's policies, of one resource when `resourceId` is given, by resource id then name.
    func scalingPolicies(accountId: String, resourceId: String?) async throws -> [ScalingPolicy]
    func deleteScalingPolicy(accountId: String, resourceId: String, name: String) async throws -> Bool

    func insertScalingActivity(_ activity: ScalingActivity) async throws
    /// Replaces the stored activity of that id (its status, end time and message move on).
    func updateScalingActivity(_ activity: ScalingActivity) async throws
    /// The account's activities, of one resource when given, newest first, skipping `offset`, at most `limit`.
    func scalingActivities(accountId: String, resourceId: String?, offset: Int, limit: Int) async throws -> [ScalingActivity]
}
