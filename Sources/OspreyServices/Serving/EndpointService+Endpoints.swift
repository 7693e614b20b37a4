import Foundation
public import OspreyCore

/// Endpoints: create, update, change weights and capacity, delete. Each call returns once the record shows the new status;
/// the deployment it starts moves the status on from a background task.
extension EndpointService {
    /// Records the endpoint `Creating` and starts deploying its configuration; returns at once.
    public func createEndpoint(_ request: JSONValue, accountId: String) async throws -> Endpoint {
        let name = request["EndpointName"]?.stringValue ?? ""
        let (config, policy) = try await checkCreateEndpoint(request, accountId: accountId)
        let endpoint = Endpoint(
            name: name, accountId: accountId, arn: arn("endpoint", name, accountId), config: config, deployment: policy,
            creationTime: clock.now(), tags: ServingValidation.tags(request["Tags"]))
        do {
            try await store.insertEndpoint(endpoint, event: ServingEvents.endpoint(endpoint))
        } catch let error as OspreyError where error.code == .alreadyExists {
            throw OspreyError(.validation, "Cannot create already existing endpoint \"\(endpoint.arn)\".")
        }
        startDeployment(of: endpoint, config: config, kind: .create)
        return endpoint
    }

    /// Checks a `CreateEndpoint` request without recording anything: its name, `DeploymentConfig` (alarms), configuration
    /// and that configuration's models. Returns the configuration and the parsed deployment policy.
    @discardableResult
    func checkCreateEndpoint(_ request: JSONValue, accountId: String) async throws
        -> (config: EndpointConfigRecord, policy: DeploymentPolicy?)
    {
        try Names.validateResourceName(request["EndpointName"]?.stringValue ?? "", field: "endpointName")
        let policy = try ServingValidation.deploymentPolicy(request["DeploymentConfig"])
        let config = try await endpointConfig(name: request["EndpointConfigName"]?.stringValue ?? "", accountId: accountId)
        _ = try await models(of: config)
        return (config, policy)
    }

    /// Throws `.validation` "Could not find endpoint" (as SageMaker does) when there is none.
    public func endpoint(name: String, accountId: String) async throws -> Endpoint {
        guard let endpoint = try await store.endpoint(name: name, accountId: accountId) else {
            throw OspreyError(.validation, "Could not find endpoint \"\(arn("endpoint", name, accountId))\".")
        }
        return endpoint
    }

    public func endpoints(_ query: ServingQuery) async throws -> [Endpoint] {
        try await store.endpoints(query)
    }

    /// Moves an InService endpoint to a new configuration: returns it `Updating`; the deployment ends InService on the new
    /// configuration, or InService on the old one when it fails or rolls back.
    ///
    /// `RetainAllVariantProperties` keeps the desired weight and instance count of variants the new configuration shares
    /// (except the properties in `ExcludeRetainedVariantProperties`); `RetainDeploymentConfig` keeps the last
    /// `DeploymentConfig` when none is given.
    public func updateEndpoint(_ request: JSONValue, accountId: String) async throws -> Endpoint {
        let current = try await endpoint(name: request["EndpointName"]?.stringValue ?? "", accountId: accountId)
        let config = try await endpointConfig(name: request["EndpointConfigName"]?.stringValue ?? "", accountId: accountId)
        _ = try await models(of: config)
        var policy = try ServingValidation.deploymentPolicy(request["DeploymentConfig"])
        if policy == nil, request["RetainDeploymentConfig"]?.boolValue == true { policy = current.deployment }
        var variants = config.variants.map(EndpointVariant.init(desired:))
        if request["RetainAllVariantProperties"]?.boolValue == true {
            let excluded = Set((request["ExcludeRetainedVariantProperties"]?.arrayValue ?? []).compactMap { $0["VariantPropertyType"]?.stringValue })
            for index in variants.indices {
                guard let old = current.variants.first(where: { $0.name == variants[index].name }) else { continue }
                if !excluded.contains("DesiredWeight") { variants[index].desiredWeight = old.desiredWeight }
                if !excluded.contains("DesiredInstanceCount") { variants[index].desiredInstanceCount = old.desiredInstanceCount }
            }
        }
        let updating = try await apply(.updateRequested(config: config.name, variants: variants, deployment: policy), to: current)
        startDeployment(of: updating, config: config, kind: .update)
        return updating
    }

    /// Changes desired weights and instance counts of an InService endpoint's variants: returns it `Updating`; it is InService
    /// with the new values once the runtime applied them, or with the old ones when it could not.
    public func updateWeightsAndCapacities(_ request: JSONValue, accountId: String) async throws -> Endpoint {
        let current = try await endpoint(name: request["EndpointName"]?.stringValue ?? "", accountId: accountId)
        let capacities = try ServingValidation.capacities(request["DesiredWeightsAndCapacities"])
        let updating = try await apply(.capacityRequested(capacities), to: current)
        startDeployment(of: updating, config: nil, kind: .capacity)
        return updating
    }

    /// Marks the endpoint `Deleting`, then (in the background) stops its deployment and fleet and removes its record.
    public func deleteEndpoint(name: String, accountId: String) async throws {
        let current = try await endpoint(name: name, accountId: accountId)
        let deleting = try await apply(.deleteRequested, to: current)
        let running = deployments.removeValue(forKey: key(name, accountId))
        Task {
            running?.task.cancel()
            await running?.task.value
            await self.finishDeleting(deleting)
        }
    }

    /// The runtime reports that a deployment rolls back: Updating → RollingBack, with an event saying why.
    public func markRollingBack(name: String, accountId: String, reason: String) async {
        do {
            let current = try await endpoint(name: name, accountId: accountId)
            try await apply(.rollingBack, to: current, reason: reason)
        } catch {
            logger.warning("Could not mark an endpoint RollingBack", metadata: ["endpoint": "\(name)", "error": "\(error)"])
        }
    }

    func finishDeleting(_ endpoint: Endpoint) async {
        await runtime.undeploy(endpointName: endpoint.name, accountId: endpoint.accountId)
        do {
            // Re-read: the record may have moved on (a deployment that ended as it was cancelled) while still Deleting.
            while let current = try await store.endpoint(name: endpoint.name, accountId: endpoint.accountId), current.status == .deleting {
                let time = max(clock.now(), current.lastModifiedTime.addingTimeInterval(0.001))
                let event = ServingEvents.endpoint(current, status: "Deleted", time: time)
                if try await store.deleteEndpoint(
                    name: current.name, accountId: current.accountId, expectedModified: current.lastModifiedTime, event: event)
                {
                    return
                }
            }
        } catch {
            logger.error("Could not remove a deleted endpoint's record", metadata: ["endpoint": "\(endpoint.name)", "error": "\(error)"])
        }
    }

    /// Applies a lifecycle change to the stored endpoint (re-read, so concurrent changes are seen) and writes it with its event.
    /// `LastModifiedTime` moves forward by at least a millisecond at each change.
    @discardableResult
    func apply(_ change: EndpointChange, to endpoint: Endpoint, reason: String? = nil) async throws -> Endpoint {
        guard let current = try await store.endpoint(name: endpoint.name, accountId: endpoint.accountId) else {
            throw OspreyError(.validation, "Could not find endpoint \"\(endpoint.arn)\".")
        }
        let next = try EndpointLifecycle.apply(change, to: current, at: max(clock.now(), current.lastModifiedTime.addingTimeInterval(0.001)))
        guard try await store.updateEndpoint(next, expectedModified: current.lastModifiedTime, event: ServingEvents.endpoint(next, reason: reason))
        else {
            throw OspreyError(.alreadyExists, "Endpoint \(endpoint.name) was changed by another request while this one updated it; try again.")
        }
        return next
    }
}
