import Foundation
public import OspreyCore

/// Application Auto Scaling for SageMaker endpoint variants: scalable targets, target-tracking policies and the
/// activities the `AutoScaler` records. Requests arrive as checked against botocore's shapes; this checks what the shapes
/// cannot (namespace, dimension, resource, bounds, policy type) and records nothing when a check fails.
public struct AutoScalingService: Sendable {
    let store: any MetadataStore
    let endpoints: EndpointService
    let autoscaler: AutoScaler
    let clock: any WallClock
    let ids: any IDGenerator
    let deployment: Deployment

    /// Describe operations answer at most this many per page (botocore's `MaxResults` is 1 to 50).
    public static let pageLimit = 50

    public init(
        store: any MetadataStore, endpoints: EndpointService, autoscaler: AutoScaler, clock: any WallClock, deployment: Deployment,
        ids: any IDGenerator = RandomIDGenerator()
    ) {
        self.store = store
        self.endpoints = endpoints
        self.autoscaler = autoscaler
        self.clock = clock
        self.ids = ids
        self.deployment = deployment
    }

    // MARK: Scalable targets

    /// Registers a variant (or changes a registered one's bounds and suspended state); a count outside the new bounds
    /// is brought inside them at once when the endpoint is InService, else as soon as it is.
    public func register(_ request: JSONValue, accountId: String) async throws -> ScalableTarget {
        let variant = try Self.variant(of: request)
        try await checkExists(variant, accountId: accountId)
        let existing = try await store.scalableTarget(accountId: accountId, resourceId: variant.resourceId)
        guard let min = Self.int(request["MinCapacity"]) ?? existing?.minCapacity, let max = Self.int(request["MaxCapacity"]) ?? existing?.maxCapacity
        else {
            throw OspreyError(.validation, "MinCapacity and MaxCapacity are required to register the new scalable target \(variant.resourceId).")
        }
        guard min >= 1 else { throw OspreyError(.validation, "MinCapacity must be at least 1 for a SageMaker endpoint variant, not \(min).") }
        guard min <= max else { throw OspreyError(.validation, "Minimum capacity cannot be greater than maximum capacity") }
        let role =
            request["RoleARN"]?.stringValue ?? existing?.roleARN
            ?? "arn:aws:iam::\(accountId):role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
            + "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
        var target =
            existing
            ?? ScalableTarget(
                accountId: accountId, variant: variant, minCapacity: min, maxCapacity: max, roleARN: role,
                arn: deployment.arn(service: "application-autoscaling", account: accountId, resource: "scalable-target/" + ids.hex(bytes: 18)),
                creationTime: clock.now())
        target.minCapacity = min
        target.maxCapacity = max
        target.roleARN = role
        if let state = request["SuspendedState"] {
            target.scaleInSuspended = state["DynamicScalingInSuspended"]?.boolValue ?? target.scaleInSuspended
            target.scaleOutSuspended = state["DynamicScalingOutSuspended"]?.boolValue ?? target.scaleOutSuspended
            target.scheduledSuspended = state["ScheduledScalingSuspended"]?.boolValue ?? target.scheduledSuspended
        }
        try await store.putScalableTarget(target)
        await autoscaler.evaluate(target)
        return target
    }

    /// The account's targets, filtered by `ResourceIds`, one page after `NextToken`.
    public func targets(_ request: JSONValue, accountId: String) async throws -> Page<ScalableTarget> {
        try Self.checkNamespace(request)
        let wanted = request["ResourceIds"]?.arrayValue.map { Set($0.compactMap(\.stringValue)) }
        let all = try await store.scalableTargets(accountId: accountId).filter { wanted?.contains($0.resourceId) ?? true }
        return try Self.page(all, request)
    }

    /// Removes the target and its policies; `ObjectNotFoundException` when it is not registered.
    public func deregister(_ request: JSONValue, accountId: String) async throws {
        let variant = try Self.variant(of: request)
        guard try await store.deleteScalableTarget(accountId: accountId, resourceId: variant.resourceId) else {
            throw Self.noTarget(variant)
        }
    }

    // MARK: Policies

    /// Creates or replaces a target-tracking policy on a registered target (its ARN kept on replacement).
    public func putPolicy(_ request: JSONValue, accountId: String) async throws -> ScalingPolicy {
        let variant = try Self.variant(of: request)
        let name = request["PolicyName"]?.stringValue ?? ""
        let tracking = try ScalingPolicyRequest(request)
        guard try await store.scalableTarget(accountId: accountId, resourceId: variant.resourceId) != nil else { throw Self.noTarget(variant) }
        let existing = try await store.scalingPolicies(accountId: accountId, resourceId: variant.resourceId).first { $0.name == name }
        let arn = deployment.arn(
            service: "autoscaling", account: accountId,
            resource: "scalingPolicy:\(Self.uuid(ids)):resource/sagemaker/\(variant.resourceId):policyName/\(name)")
        let policy = ScalingPolicy(
            accountId: accountId, variant: variant, name: name, arn: existing?.arn ?? arn, creationTime: existing?.creationTime ?? clock.now(),
            targetValue: tracking.targetValue, scaleInCooldownSeconds: tracking.scaleInCooldown, scaleOutCooldownSeconds: tracking.scaleOutCooldown,
            disableScaleIn: tracking.disableScaleIn, configuration: tracking.configuration)
        guard try await store.putScalingPolicy(policy) else { throw Self.noTarget(variant) }
        return policy
    }

    /// The account's policies, filtered by `ResourceId` and `PolicyNames`, one page after `NextToken`.
    public func policies(_ request: JSONValue, accountId: String) async throws -> Page<ScalingPolicy> {
        try Self.checkNamespace(request)
        let names = request["PolicyNames"]?.arrayValue.map { Set($0.compactMap(\.stringValue)) }
        let all = try await store.scalingPolicies(accountId: accountId, resourceId: request["ResourceId"]?.stringValue)
            .filter { names?.contains($0.name) ?? true }
        return try Self.page(all, request)
    }

    public func deletePolicy(_ request: JSONValue, accountId: String) async throws {
        let variant = try Self.variant(of: request)
        let name = request["PolicyName"]?.stringValue ?? ""
        guard try await store.deleteScalingPolicy(accountId: accountId, resourceId: variant.resourceId, name: name) else {
            throw OspreyError(
                .objectNotFound,
                "No scaling policy found for service namespace: sagemaker, resource ID: \(variant.resourceId), scalable dimension: "
                    + "\(ScalableVariant.scalableDimension), policy name: \(name)")
        }
    }

    // MARK: Activities

    /// The account's scaling activities, newest first, of one resource when `ResourceId` is given.
    public func activities(_ request: JSONValue, accountId: String) async throws -> Page<ScalingActivity> {
        try Self.checkNamespace(request)
        let limit = try Self.limit(request)
        let offset = try request["NextToken"]?.stringValue.map(Self.offset(token:)) ?? 0
        let found = try await store.scalingActivities(
            accountId: accountId, resourceId: request["ResourceId"]?.stringValue, offset: offset, limit: limit + 1)
        return Page(items: Array(found.prefix(limit)), nextToken: found.count > limit ? Self.token(offset: offset + limit) : nil)
    }

    // MARK: Checks

    /// The variant a request names, after checking its `ServiceNamespace` and `ScalableDimension`.
    static func variant(of request: JSONValue) throws -> ScalableVariant {
        try checkNamespace(request)
        return try ScalableVariant(resourceId: request["ResourceId"]?.stringValue ?? "")
    }

    /// Osprey scales SageMaker endpoint variants only: any other namespace or dimension is a `ValidationException`.
    static func checkNamespace(_ request: JSONValue) throws {
        let namespace = request["ServiceNamespace"]?.stringValue ?? ""
        guard namespace == ScalableVariant.serviceNamespace else {
            throw OspreyError(
                .validation, "Osprey scales SageMaker endpoint variants only: ServiceNamespace must be sagemaker, not \(namespace).")
        }
        if let dimension = request["ScalableDimension"]?.stringValue, dimension != ScalableVariant.scalableDimension {
            throw OspreyError(
                .validation,
                "Osprey scales SageMaker endpoint variants only: ScalableDimension must be \(ScalableVariant.scalableDimension), not \(dimension).")
        }
    }

    /// Throws SageMaker's "Could not find endpoint" or names the missing variant.
    func checkExists(_ variant: ScalableVariant, accountId: String) async throws {
        let endpoint = try await endpoints.endpoint(name: variant.endpointName, accountId: accountId)
        guard (endpoint.variants + (endpoint.pendingVariants ?? [])).contains(where: { $0.name == variant.variantName }) else {
            throw OspreyError(.validation, "The endpoint \(variant.endpointName) has no production variant \(variant.variantName).")
        }
    }

    static func noTarget(_ variant: ScalableVariant) -> OspreyError {
        OspreyError(
            .objectNotFound,
            "No scalable target registered for service namespace: sagemaker, resource ID: \(variant.resourceId), scalable dimension: "
                + ScalableVariant.scalableDimension)
    }

    static func int(_ value: JSONValue?) -> Int? { value?.numberValue.flatMap { Int(exactly: $0) } }

    /// A random UUID in its usual form, lowercase.
    static func uuid(_ ids: any IDGenerator) -> String {
        let hex = Array(ids.hex(bytes: 16))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
    }
}

extension OspreyError.Code {
    /// Application Auto Scaling's codes.
    public static let objectNotFound: Self = "ObjectNotFoundException"
    public static let concurrentUpdate: Self = "ConcurrentUpdateException"
    public static let invalidNextToken: Self = "InvalidNextTokenException"
}
