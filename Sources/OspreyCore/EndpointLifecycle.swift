import Foundation

/// What happens to an endpoint. The lifecycle is a pure function from (endpoint, change) to the next endpoint.
public enum EndpointChange: Sendable, Hashable {
    /// Every variant of the target configuration serves: Creating or Updating → InService (the pending configuration moves
    /// in). `snapshot` is what now serves (nil keeps the last one: a change of weights or capacity).
    case deployed(snapshot: ServingSnapshot?)
    /// The endpoint cannot serve: any status but Deleting and Failed → Failed.
    case failed(reason: String)
    /// `UpdateEndpoint`: InService → Updating, deploying `config` with these variants.
    case updateRequested(config: String, variants: [EndpointVariant], deployment: DeploymentPolicy?)
    /// `UpdateEndpointWeightsAndCapacities`: InService → Updating with new desired values.
    case capacityRequested([VariantCapacity])
    /// The new fleet tripped an alarm or failed: Updating → RollingBack.
    case rollingBack
    /// The update did not happen: Updating or RollingBack → InService on the old configuration and values.
    case updateAbandoned
    /// `DeleteEndpoint`: any status but Deleting → Deleting.
    case deleteRequested
}

public enum EndpointLifecycle {
    /// Applies `change` at `time`. Throws `.validation` with SageMaker's message for a change the status does not allow;
    /// the endpoint is unchanged then.
    public static func apply(_ change: EndpointChange, to endpoint: Endpoint, at time: Date) throws -> Endpoint {
        var next = endpoint
        switch change {
        case .deployed(let snapshot):
            try expect(endpoint, in: [.creating, .updating], change)
            if let pending = endpoint.pendingVariants {
                next.configName = endpoint.pendingConfigName ?? endpoint.configName
                next.variants = pending
            }
            next.variants = next.variants.map(\.serving)
            if let snapshot { next.deployed = snapshot }
            next.pendingConfigName = nil
            next.pendingVariants = nil
            next.failureReason = nil
            next.status = .inService
        case .failed(let reason):
            try expect(endpoint, in: [.creating, .updating, .rollingBack, .inService], change)
            next.status = .failed
            next.failureReason = reason
            next.pendingConfigName = nil
            next.pendingVariants = nil
        case .updateRequested(let config, let variants, let deployment):
            guard endpoint.status == .inService else { throw cannotUpdate(endpoint) }
            next.status = .updating
            next.pendingConfigName = config
            next.pendingVariants = variants
            next.deployment = deployment
            next.failureReason = nil
        case .capacityRequested(let capacities):
            guard endpoint.status == .inService else { throw cannotUpdate(endpoint) }
            next.variants = try applying(capacities, to: endpoint)
            next.status = .updating
            next.failureReason = nil
        case .rollingBack:
            try expect(endpoint, in: [.updating], change)
            next.status = .rollingBack
        case .updateAbandoned:
            try expect(endpoint, in: [.updating, .rollingBack], change)
            next.variants = endpoint.variants.map(\.reverted)
            next.pendingConfigName = nil
            next.pendingVariants = nil
            next.failureReason = nil
            next.status = .inService
        case .deleteRequested:
            guard endpoint.status != .deleting else {
                throw OspreyError(.validation, "Cannot delete in-progress endpoint \"\(endpoint.arn)\".")
            }
            next.status = .deleting
        }
        next.lastModifiedTime = time
        return next
    }

    /// SageMaker's refusal of an update of an endpoint that is not InService.
    static func cannotUpdate(_ endpoint: Endpoint) -> OspreyError {
        let kind = endpoint.status == .failed ? "failed" : "in-progress"
        return OspreyError(.validation, "Cannot update \(kind) endpoint \"\(endpoint.arn)\".")
    }

    /// The variants with new desired values; checks names, weights and counts as `UpdateEndpointWeightsAndCapacities` does.
    static func applying(_ capacities: [VariantCapacity], to endpoint: Endpoint) throws -> [EndpointVariant] {
        var variants = endpoint.variants
        var seen: Set<String> = []
        for capacity in capacities {
            guard seen.insert(capacity.variantName).inserted else {
                throw OspreyError(.validation, "The variant name \"\(capacity.variantName)\" appears more than once in DesiredWeightsAndCapacities.")
            }
            guard let index = variants.firstIndex(where: { $0.name == capacity.variantName }) else {
                throw OspreyError(
                    .validation,
                    "The variant \"\(capacity.variantName)\" is not present in endpoint \"\(endpoint.arn)\" "
                        + "(variants: \(variants.map(\.name).joined(separator: ", "))).")
            }
            guard capacity.weight != nil || capacity.instanceCount != nil else {
                throw OspreyError(
                    .validation, "Variant \"\(capacity.variantName)\": give DesiredWeight, DesiredInstanceCount or both.")
            }
            if let weight = capacity.weight {
                try ServingValidation.checkWeight(weight, variant: capacity.variantName)
                variants[index].desiredWeight = weight
            }
            if let count = capacity.instanceCount {
                try ServingValidation.checkInstanceCount(count, variant: capacity.variantName)
                variants[index].desiredInstanceCount = count
            }
        }
        try ServingValidation.checkSomeWeight(variants.map(\.desiredWeight))
        return variants
    }

    private static func expect(_ endpoint: Endpoint, in allowed: Set<EndpointStatus>, _ change: EndpointChange) throws {
        guard allowed.contains(endpoint.status) else {
            throw OspreyError(.validation, "Endpoint \(endpoint.name) cannot go from \(endpoint.status.rawValue) on \(change).")
        }
    }
}

extension EndpointVariant {
    /// The variant once it serves its desired values.
    public var serving: EndpointVariant {
        var next = self
        next.currentWeight = desiredWeight
        next.currentInstanceCount = desiredInstanceCount
        return next
    }

    /// The variant with its desired values back to what serves (after an abandoned update).
    public var reverted: EndpointVariant {
        var next = self
        if let weight = currentWeight { next.desiredWeight = weight }
        if let count = currentInstanceCount { next.desiredInstanceCount = count }
        return next
    }
}
