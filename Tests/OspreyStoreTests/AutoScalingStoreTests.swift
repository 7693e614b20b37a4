import Foundation
import OspreyCore
import Testing

@testable import OspreyStore

@Suite("Auto scaling store")
struct AutoScalingStoreTests {
    static func variant(_ endpoint: String, _ name: String = "AllTraffic") -> ScalableVariant {
        ScalableVariant(endpointName: endpoint, variantName: name)
    }

    static func target(_ endpoint: String, account: String = account, min: Int = 1, max: Int = 3) -> ScalableTarget {
        ScalableTarget(
            accountId: account, variant: variant(endpoint), minCapacity: min, maxCapacity: max, roleARN: "arn:role",
            arn: "arn:aws:application-autoscaling:us-east-1:\(account):scalable-target/\(endpoint)", creationTime: time())
    }

    static func policy(_ endpoint: String, _ name: String, target: Double = 10, account: String = account) -> ScalingPolicy {
        ScalingPolicy(
            accountId: account, variant: variant(endpoint), name: name, arn: "arn:policy:\(endpoint):\(name)", creationTime: time(5),
            targetValue: target, scaleInCooldownSeconds: 60, scaleOutCooldownSeconds: 30, disableScaleIn: true,
            configuration: .object(["TargetValue": .number(target)]))
    }

    @Test(arguments: Backend.all)
    func targetsUpsertListAndDeregisterWithTheirPolicies(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            var first = Self.target("ep-b")
            first.scaleInSuspended = true
            try await store.putScalableTarget(first)
            try await store.putScalableTarget(Self.target("ep-a"))
            try await store.putScalableTarget(Self.target("ep-a", account: otherAccount))
            #expect(try await store.scalableTarget(accountId: account, resourceId: "endpoint/ep-b/variant/AllTraffic") == first)
            #expect(try await store.scalableTarget(accountId: account, resourceId: "endpoint/ep-c/variant/AllTraffic") == nil)
            first.maxCapacity = 7
            try await store.putScalableTarget(first)
            #expect(try await store.scalableTarget(accountId: account, resourceId: first.resourceId)?.maxCapacity == 7)
            #expect(try await store.scalableTargets(accountId: account).map(\.variant.endpointName) == ["ep-a", "ep-b"])
            #expect(try await store.scalableTargets(accountId: nil).count == 3)

            #expect(try await store.putScalingPolicy(Self.policy("ep-b", "second")))
            #expect(try await store.putScalingPolicy(Self.policy("ep-b", "first")))
            #expect(try await store.putScalingPolicy(Self.policy("ep-a", "only")))
            // No target, no policy.
            #expect(try await store.putScalingPolicy(Self.policy("ep-z", "orphan")) == false)
            #expect(try await store.putScalingPolicy(Self.policy("ep-b", "first", target: 42)))
            let policies = try await store.scalingPolicies(accountId: account, resourceId: first.resourceId)
            #expect(policies.map(\.name) == ["first", "second"])
            #expect(policies[0] == Self.policy("ep-b", "first", target: 42))
            #expect(try await store.scalingPolicies(accountId: account, resourceId: nil).map(\.name) == ["only", "first", "second"])
            #expect(try await store.scalingPolicies(accountId: otherAccount, resourceId: nil).isEmpty)

            #expect(try await store.deleteScalingPolicy(accountId: account, resourceId: first.resourceId, name: "second"))
            #expect(try await store.deleteScalingPolicy(accountId: account, resourceId: first.resourceId, name: "second") == false)
            #expect(try await store.deleteScalableTarget(accountId: account, resourceId: first.resourceId))
            #expect(try await store.deleteScalableTarget(accountId: account, resourceId: first.resourceId) == false)
            #expect(try await store.scalingPolicies(accountId: account, resourceId: nil).map(\.name) == ["only"])
            #expect(try await store.scalableTargets(accountId: nil).count == 2)
        }
    }

    @Test(arguments: Backend.all)
    func activitiesListNewestFirstAndMoveOn(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            func activity(_ id: String, _ endpoint: String, at offset: Int64, account: String = account) -> ScalingActivity {
                ScalingActivity(
                    id: id, accountId: account, variant: Self.variant(endpoint), fromCapacity: 1, toCapacity: 3, cause: "because",
                    startTime: time(offset))
            }
            var running = activity("a1", "ep-a", at: 10)
            try await store.insertScalingActivity(running)
            try await store.insertScalingActivity(activity("a2", "ep-b", at: 20))
            try await store.insertScalingActivity(activity("a3", "ep-a", at: 30))
            try await store.insertScalingActivity(activity("a4", "ep-a", at: 40, account: otherAccount))
            await expectError(.alreadyExists) { try await store.insertScalingActivity(activity("a1", "ep-a", at: 50)) }

            let all = try await store.scalingActivities(accountId: account, resourceId: nil, offset: 0, limit: 10)
            #expect(all.map(\.id) == ["a3", "a2", "a1"])
            let resource = "endpoint/ep-a/variant/AllTraffic"
            #expect(try await store.scalingActivities(accountId: account, resourceId: resource, offset: 0, limit: 10).map(\.id) == ["a3", "a1"])
            #expect(try await store.scalingActivities(accountId: account, resourceId: nil, offset: 1, limit: 1).map(\.id) == ["a2"])

            running.status = .successful
            running.endTime = time(15)
            running.statusMessage = "done"
            try await store.updateScalingActivity(running)
            let stored = try await store.scalingActivities(accountId: account, resourceId: resource, offset: 1, limit: 1)
            #expect(stored == [running])
        }
    }
}
