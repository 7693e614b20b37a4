import Foundation
import OspreyCore
import Testing

@testable import OspreyStore

@Suite("Transform job store")
struct TransformJobStoreTests {
    static func job(_ name: String, account: String = account, created: Int64) -> TransformJob {
        TransformJob(
            name: name, accountId: account, arn: "arn:aws:sagemaker:us-east-1:\(account):transform-job/\(name)",
            request: .object(["TransformJobName": .string(name), "DataProcessing": .object(["JoinSource": .string("Input")])]),
            modelName: "model-a", creationTime: time(created)
        )
    }

    static func event(_ name: String) -> NewEvent {
        NewEvent(type: "SageMaker Transform Job State Change", accountId: account, resource: name, detail: "{}", time: time(1))
    }

    @Test(arguments: Backend.all)
    func jobsRoundTripUpdateAndList(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            var first = Self.job("alpha-job", created: 10)
            first.model = ModelRecord(
                name: "model-a", accountId: account, arn: "arn:m", request: .object([:]), creationTime: time(),
                containers: [ModelContainer(image: "osprey/python", environment: ["A": "1"])])
            try await store.insertTransformJob(first, event: Self.event("alpha-job"))
            try await store.insertTransformJob(Self.job("beta-job", created: 20), event: Self.event("beta-job"))
            try await store.insertTransformJob(Self.job("alpha-job", account: otherAccount, created: 30), event: Self.event("x"))
            await expectError(.alreadyExists) { try await store.insertTransformJob(first, event: Self.event("alpha-job")) }
            #expect(try await store.transformJob(name: "alpha-job", accountId: account) == first)
            #expect(try await store.transformJob(name: "alpha-job", accountId: account)?.model?.containers.first?.environment == ["A": "1"])
            #expect(try await store.transformJob(name: "gamma-job", accountId: account) == nil)

            var running = try TransformJobLifecycle.apply(.started, to: first, at: time(40))
            #expect(try await store.updateTransformJob(running, expectedModified: first.lastModifiedTime, event: nil))
            // A writer that read the job before that update loses and changes nothing.
            #expect(try await store.updateTransformJob(first, expectedModified: first.lastModifiedTime, event: Self.event("x")) == false)
            running = try TransformJobLifecycle.apply(.failed(reason: "boom"), to: running, at: time(50))
            #expect(try await store.updateTransformJob(running, expectedModified: time(40), event: Self.event("alpha-job")))
            let stored = try #require(try await store.transformJob(name: "alpha-job", accountId: account))
            #expect(stored.failureReason == "boom" && stored.transformStartTime == time(40) && stored.transformEndTime == time(50))

            var query = TransformJobQuery(accountId: account)
            #expect(try await store.transformJobs(query).map(\.name) == ["beta-job", "alpha-job"])
            query.status = .failed
            #expect(try await store.transformJobs(query).map(\.name) == ["alpha-job"])
            query = TransformJobQuery(accountId: account)
            query.nameContains = "BETA"
            #expect(try await store.transformJobs(query).map(\.name) == ["beta-job"])
            query = TransformJobQuery(accountId: account)
            query.creationAfter = time(15)
            #expect(try await store.transformJobs(query).map(\.name) == ["beta-job"])
            query = TransformJobQuery(accountId: account)
            query.modifiedAfter = time(45)
            #expect(try await store.transformJobs(query).map(\.name) == ["alpha-job"])
            query = TransformJobQuery(accountId: account)
            query.sortBy = .status
            query.descending = false
            #expect(try await store.transformJobs(query).map(\.name) == ["alpha-job", "beta-job"])
            query = TransformJobQuery(accountId: account)
            query.sortBy = .name
            query.descending = false
            query.limit = 1
            query.offset = 1
            #expect(try await store.transformJobs(query).map(\.name) == ["beta-job"])
            #expect(try await store.unfinishedTransformJobs().map(\.name).sorted() == ["alpha-job", "beta-job"])
            // Three inserts and one status change wrote events, each in the transaction of its row; the lost update and the
            // duplicate insert wrote none.
            let events = try await store.events(after: 0, accountId: account, limit: 10)
            #expect(events.count == 4)
            #expect(events.allSatisfy { $0.event.type == "SageMaker Transform Job State Change" })
        }
    }
}
