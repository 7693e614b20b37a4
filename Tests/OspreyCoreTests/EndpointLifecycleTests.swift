import Foundation
import OspreyCore
import Testing

@Suite struct EndpointLifecycleTests {
    static let start = Date(timeIntervalSince1970: 1_000)
    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }
    static let arn = "arn:aws:sagemaker:us-east-1:000000000000:endpoint/ep"

    static func config(_ name: String, weights: [Double] = [1], count: Int = 1) -> EndpointConfigRecord {
        EndpointConfigRecord(
            name: name, accountId: Deployment.rootAccount, arn: "arn:\(name)", request: .object([:]), creationTime: start,
            variants: weights.enumerated().map { VariantSpec(name: "v\($0.offset)", modelName: "m", instanceCount: count, weight: $0.element) })
    }

    static var creating: Endpoint {
        Endpoint(name: "ep", accountId: Deployment.rootAccount, arn: arn, config: config("c1"), deployment: nil, creationTime: start)
    }

    static func inService() throws -> Endpoint {
        try EndpointLifecycle.apply(.deployed(snapshot: nil), to: creating, at: at(1))
    }

    @Test func creatingEndsInServiceWithTheDesiredValuesServing() throws {
        #expect(Self.creating.status == .creating)
        #expect(Self.creating.variants[0].currentWeight == nil && Self.creating.variants[0].currentInstanceCount == nil)
        let snapshot = ServingSnapshot(config: Self.config("c1"), models: [])
        let endpoint = try EndpointLifecycle.apply(.deployed(snapshot: snapshot), to: Self.creating, at: Self.at(1))
        #expect(endpoint.status == .inService)
        #expect(endpoint.variants[0].currentWeight == 1 && endpoint.variants[0].currentInstanceCount == 1)
        #expect(endpoint.lastModifiedTime == Self.at(1) && endpoint.creationTime == Self.start)
        #expect(endpoint.deployed == snapshot)
    }

    @Test func creatingCanFailWithAReason() throws {
        let failed = try EndpointLifecycle.apply(.failed(reason: "the archive is corrupt"), to: Self.creating, at: Self.at(1))
        #expect(failed.status == .failed && failed.failureReason == "the archive is corrupt")
        // A failed endpoint cannot be updated, deployed or failed again; it can be deleted.
        #expect(
            message { try EndpointLifecycle.apply(Self.update("c2"), to: failed, at: Self.at(2)) } == "Cannot update failed endpoint \"\(Self.arn)\"."
        )
        #expect(throws: OspreyError.self) { try EndpointLifecycle.apply(.deployed(snapshot: nil), to: failed, at: Self.at(2)) }
        #expect(throws: OspreyError.self) { try EndpointLifecycle.apply(.failed(reason: "again"), to: failed, at: Self.at(2)) }
        #expect(try EndpointLifecycle.apply(.deleteRequested, to: failed, at: Self.at(2)).status == .deleting)
    }

    static func update(_ name: String, weights: [Double] = [1], count: Int = 2) -> EndpointChange {
        .updateRequested(
            config: name, variants: config(name, weights: weights, count: count).variants.map(EndpointVariant.init(desired:)),
            deployment: nil)
    }

    @Test func anUpdateMovesThePendingConfigurationInWhenItSucceeds() throws {
        let updating = try EndpointLifecycle.apply(Self.update("c2"), to: try Self.inService(), at: Self.at(2))
        #expect(updating.status == .updating)
        #expect(updating.configName == "c1" && updating.pendingConfigName == "c2" && updating.targetConfigName == "c2")
        #expect(updating.variants[0].currentInstanceCount == 1 && updating.pendingVariants?[0].desiredInstanceCount == 2)
        let done = try EndpointLifecycle.apply(.deployed(snapshot: nil), to: updating, at: Self.at(3))
        #expect(done.status == .inService && done.configName == "c2" && done.pendingConfigName == nil && done.pendingVariants == nil)
        #expect(done.variants[0].currentInstanceCount == 2)
    }

    @Test func aFailedOrRolledBackUpdateLeavesTheOldConfigurationInService() throws {
        var endpoint = try EndpointLifecycle.apply(Self.update("c2"), to: try Self.inService(), at: Self.at(2))
        endpoint = try EndpointLifecycle.apply(.rollingBack, to: endpoint, at: Self.at(3))
        #expect(endpoint.status == .rollingBack)
        #expect(throws: OspreyError.self) { try EndpointLifecycle.apply(.deployed(snapshot: nil), to: endpoint, at: Self.at(4)) }
        endpoint = try EndpointLifecycle.apply(.updateAbandoned, to: endpoint, at: Self.at(4))
        #expect(endpoint.status == .inService && endpoint.configName == "c1" && endpoint.pendingConfigName == nil)
        #expect(endpoint.failureReason == nil && endpoint.variants[0].desiredInstanceCount == 1)
        #expect(throws: OspreyError.self) { try EndpointLifecycle.apply(.rollingBack, to: endpoint, at: Self.at(5)) }
    }

    @Test func onlyAnInServiceEndpointCanBeUpdated() throws {
        let refused = "Cannot update in-progress endpoint \"\(Self.arn)\"."
        #expect(message { try EndpointLifecycle.apply(Self.update("c2"), to: Self.creating, at: Self.at(1)) } == refused)
        let updating = try EndpointLifecycle.apply(Self.update("c2"), to: try Self.inService(), at: Self.at(2))
        #expect(message { try EndpointLifecycle.apply(Self.update("c3"), to: updating, at: Self.at(3)) } == refused)
        let capacity = EndpointChange.capacityRequested([VariantCapacity(variantName: "v0", weight: 2)])
        #expect(message { try EndpointLifecycle.apply(capacity, to: updating, at: Self.at(3)) } == refused)
        let deleting = try EndpointLifecycle.apply(.deleteRequested, to: updating, at: Self.at(3))
        #expect(message { try EndpointLifecycle.apply(Self.update("c3"), to: deleting, at: Self.at(4)) } == refused)
        #expect(
            message { try EndpointLifecycle.apply(.deleteRequested, to: deleting, at: Self.at(4)) }
                == "Cannot delete in-progress endpoint \"\(Self.arn)\".")
    }

    @Test func weightsAndCapacitiesAreCheckedAndServeOnceDeployed() throws {
        let endpoint = try EndpointLifecycle.apply(
            .deployed(snapshot: nil),
            to: Endpoint(
                name: "ep", accountId: Deployment.rootAccount, arn: Self.arn, config: Self.config("c1", weights: [1, 1]), deployment: nil,
                creationTime: Self.start), at: Self.at(1))
        let updating = try EndpointLifecycle.apply(
            .capacityRequested([VariantCapacity(variantName: "v1", weight: 3, instanceCount: 4)]), to: endpoint, at: Self.at(2))
        #expect(updating.status == .updating && updating.variants[1].desiredWeight == 3 && updating.variants[1].currentWeight == 1)
        let done = try EndpointLifecycle.apply(.deployed(snapshot: nil), to: updating, at: Self.at(3))
        #expect(done.variants[1].currentWeight == 3 && done.variants[1].currentInstanceCount == 4 && done.variants[0].currentWeight == 1)

        func refusal(_ capacities: [VariantCapacity]) -> String? {
            message { try EndpointLifecycle.apply(.capacityRequested(capacities), to: endpoint, at: Self.at(2)) }
        }
        #expect(refusal([VariantCapacity(variantName: "nope", weight: 1)])?.contains("\"nope\" is not present") == true)
        #expect(
            refusal([VariantCapacity(variantName: "v0", weight: 1), VariantCapacity(variantName: "v0", weight: 2)])?
                .contains("more than once") == true)
        #expect(refusal([VariantCapacity(variantName: "v0")])?.contains("DesiredWeight, DesiredInstanceCount") == true)
        #expect(refusal([VariantCapacity(variantName: "v0", instanceCount: 0)])?.contains("at least 1") == true)
        #expect(refusal([VariantCapacity(variantName: "v0", weight: -1)])?.contains("0 or more") == true)
        #expect(
            refusal([VariantCapacity(variantName: "v0", weight: 0), VariantCapacity(variantName: "v1", weight: 0)])?
                .contains("greater than 0") == true)
    }

    @Test func anyStatusButDeletingCanBeDeletedOrFailed() throws {
        for endpoint in [Self.creating, try Self.inService()] {
            #expect(try EndpointLifecycle.apply(.deleteRequested, to: endpoint, at: Self.at(5)).status == .deleting)
            #expect(try EndpointLifecycle.apply(.failed(reason: "r"), to: endpoint, at: Self.at(5)).status == .failed)
        }
    }
}

/// The message of the `OspreyError` that `body` throws (nil when it does not throw one).
func message<T>(_ body: () throws -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return (error as? OspreyError)?.message
    }
}
