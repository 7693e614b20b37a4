import Foundation

/// A real-time endpoint: which configuration it serves, where it is in its life, and its variants' weights and capacity.
///
/// While an update runs, `configName` and `variants` still describe the fleet that serves (the old one) and
/// `pendingConfigName`/`pendingVariants` the one being deployed; a successful deployment moves the pending ones in.
public struct Endpoint: Sendable, Hashable, Codable {
    public var name: String
    public var accountId: String
    public var arn: String
    /// The configuration the endpoint serves (or, while `Creating`, the one it is being created with).
    public var configName: String
    public var status: EndpointStatus
    public var failureReason: String?
    public var creationTime: Date
    public var lastModifiedTime: Date
    public var variants: [EndpointVariant]
    /// The configuration an `UpdateEndpoint` is deploying; nil otherwise.
    public var pendingConfigName: String?
    /// The variants of `pendingConfigName`, with their desired weights and counts.
    public var pendingVariants: [EndpointVariant]?
    /// How the last (or running) deployment shifts traffic and when it rolls back; nil when none was given.
    public var deployment: DeploymentPolicy?
    /// The configuration and models the serving fleet was deployed from, so it can be brought back after a restart even when
    /// they have been deleted since (SageMaker allows that); nil until the first deployment succeeds.
    public var deployed: ServingSnapshot?
    /// Kept by the store in a column of its own (tag changes never race status changes): not part of the coded form.
    public var tags: [String: String] = [:]

    public init(
        name: String, accountId: String, arn: String, config: EndpointConfigRecord, deployment: DeploymentPolicy?, creationTime: Date,
        tags: [String: String] = [:]
    ) {
        self.name = name
        self.accountId = accountId
        self.arn = arn
        self.configName = config.name
        self.status = .creating
        self.creationTime = creationTime
        self.lastModifiedTime = creationTime
        self.variants = config.variants.map(EndpointVariant.init(desired:))
        self.deployment = deployment
        self.tags = tags
    }

    /// The configuration a deployment of this endpoint should bring up now: the pending one during an update.
    public var targetConfigName: String { pendingConfigName ?? configName }

    enum CodingKeys: String, CodingKey {
        case name, accountId, arn, configName, status, failureReason, creationTime, lastModifiedTime, variants, pendingConfigName
        case pendingVariants, deployment, deployed
    }
}

/// What a fleet was deployed from.
public struct ServingSnapshot: Sendable, Hashable, Codable {
    public var config: EndpointConfigRecord
    public var models: [ModelRecord]

    public init(config: EndpointConfigRecord, models: [ModelRecord]) {
        self.config = config
        self.models = models
    }
}

/// `EndpointStatus`, spelled as SageMaker spells it (the statuses Osprey uses).
public enum EndpointStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case creating = "Creating"
    case updating = "Updating"
    case rollingBack = "RollingBack"
    case inService = "InService"
    case deleting = "Deleting"
    case failed = "Failed"

    /// Whether a deployment is under way (the state a restart interrupts).
    public var isInProgress: Bool { self == .creating || self == .updating || self == .rollingBack }
}

/// One production variant of an endpoint: what serves now and what is asked for.
public struct EndpointVariant: Sendable, Hashable, Codable {
    public var name: String
    public var modelName: String
    /// The weight and instance count in effect; nil until the variant first serves.
    public var currentWeight: Double?
    public var currentInstanceCount: Int?
    public var desiredWeight: Double
    public var desiredInstanceCount: Int
    public var instanceType: String?

    public init(
        name: String, modelName: String, currentWeight: Double? = nil, currentInstanceCount: Int? = nil, desiredWeight: Double,
        desiredInstanceCount: Int, instanceType: String? = nil
    ) {
        self.name = name
        self.modelName = modelName
        self.currentWeight = currentWeight
        self.currentInstanceCount = currentInstanceCount
        self.desiredWeight = desiredWeight
        self.desiredInstanceCount = desiredInstanceCount
        self.instanceType = instanceType
    }

    /// A variant of a configuration that does not serve yet: desired values from the configuration, no current ones.
    public init(desired spec: VariantSpec) {
        self.init(
            name: spec.name, modelName: spec.modelName, desiredWeight: spec.weight, desiredInstanceCount: spec.instanceCount,
            instanceType: spec.instanceType)
    }
}

/// New desired values for one variant (`UpdateEndpointWeightsAndCapacities`); nil leaves a value as it is.
public struct VariantCapacity: Sendable, Hashable, Codable {
    public var variantName: String
    public var weight: Double?
    public var instanceCount: Int?

    public init(variantName: String, weight: Double? = nil, instanceCount: Int? = nil) {
        self.variantName = variantName
        self.weight = weight
        self.instanceCount = instanceCount
    }
}

/// A parsed `DeploymentConfig`: how a new fleet takes traffic and which alarms roll it back.
public struct DeploymentPolicy: Sendable, Hashable, Codable {
    /// `BlueGreenUpdatePolicy.TrafficRoutingConfiguration`; nil for a rolling update or none.
    public var trafficRouting: TrafficRouting?
    /// `BlueGreenUpdatePolicy.TerminationWaitInSeconds`: how long the old fleet stays after the shift (the bake period).
    public var terminationWaitSeconds: Int
    public var maximumExecutionTimeoutSeconds: Int?
    public var rollingUpdate: RollingUpdate?
    public var alarms: [RollbackAlarm]
    /// The `DeploymentConfig` as given (DescribeEndpoint echoes it as `LastDeploymentConfig`).
    public var request: JSONValue

    public init(
        trafficRouting: TrafficRouting? = nil, terminationWaitSeconds: Int = 0, maximumExecutionTimeoutSeconds: Int? = nil,
        rollingUpdate: RollingUpdate? = nil, alarms: [RollbackAlarm] = [], request: JSONValue = .object([:])
    ) {
        self.trafficRouting = trafficRouting
        self.terminationWaitSeconds = terminationWaitSeconds
        self.maximumExecutionTimeoutSeconds = maximumExecutionTimeoutSeconds
        self.rollingUpdate = rollingUpdate
        self.alarms = alarms
        self.request = request
    }

    public struct TrafficRouting: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable {
            case allAtOnce = "ALL_AT_ONCE"
            case canary = "CANARY"
            case linear = "LINEAR"
        }
        public var kind: Kind
        public var waitIntervalSeconds: Int
        /// `CanarySize` or `LinearStepSize`, per kind.
        public var step: CapacitySize?

        public init(kind: Kind, waitIntervalSeconds: Int, step: CapacitySize? = nil) {
            self.kind = kind
            self.waitIntervalSeconds = waitIntervalSeconds
            self.step = step
        }
    }

    public struct RollingUpdate: Sendable, Hashable, Codable {
        public var maximumBatchSize: CapacitySize
        public var waitIntervalSeconds: Int
        public var rollbackMaximumBatchSize: CapacitySize?

        public init(maximumBatchSize: CapacitySize, waitIntervalSeconds: Int, rollbackMaximumBatchSize: CapacitySize? = nil) {
            self.maximumBatchSize = maximumBatchSize
            self.waitIntervalSeconds = waitIntervalSeconds
            self.rollbackMaximumBatchSize = rollbackMaximumBatchSize
        }
    }

    /// `CapacitySize`: a number of instances or a percentage of the fleet.
    public struct CapacitySize: Sendable, Hashable, Codable {
        public var isPercent: Bool
        public var value: Int

        public init(isPercent: Bool, value: Int) {
            self.isPercent = isPercent
            self.value = value
        }
    }
}

/// One of Osprey's own rollback alarms on a new fleet (CONTRACTS "Rollback guards").
public enum RollbackAlarm: Sendable, Hashable, Codable {
    /// More than `percent` % of requests fail (`ModelErrorRate` is 1 %).
    case modelErrorRate(percent: Double)
    /// The p99 latency is over `milliseconds`.
    case modelLatencyP99(milliseconds: Double)

    /// The names Osprey accepts, as error messages list them.
    public static let accepted = ["ModelErrorRate", "ModelErrorRate:<percent>", "ModelLatencyP99:<milliseconds>"]

    /// Parses an `AlarmName`; nil for a name Osprey does not evaluate.
    public init?(name: String) {
        let parts = name.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "ModelErrorRate":
            guard parts.count == 2 else {
                self = .modelErrorRate(percent: 1)
                return
            }
            guard let percent = Double(parts[1]), percent.isFinite, percent >= 0, percent <= 100 else { return nil }
            self = .modelErrorRate(percent: percent)
        case "ModelLatencyP99":
            guard parts.count == 2, let limit = Double(parts[1]), limit.isFinite, limit > 0 else { return nil }
            self = .modelLatencyP99(milliseconds: limit)
        default:
            return nil
        }
    }
}
