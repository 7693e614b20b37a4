import Foundation
import OspreyCore
import Testing

@testable import OspreyStore

@Suite("Training job store")
struct TrainingJobStoreTests {
    static func job(_ name: String, account: String = account, created: Int64) -> TrainingJob {
        TrainingJob(
            name: name, accountId: account, arn: "arn:aws:sagemaker:us-east-1:\(account):training-job/\(name)",
            request: .object(["TrainingJobName": .string(name), "HyperParameters": .object(["lr": .string("0.1")])]),
            creationTime: time(created)
        )
    }

    static func event(_ name: String) -> NewEvent {
        NewEvent(type: "SageMaker Training Job State Change", accountId: account, resource: name, detail: "{}", time: time(1))
    }

    @Test(arguments: Backend.all)
    func jobsRoundTripUpdateAndList(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let first = Self.job("alpha-job", created: 10)
            try await store.insertTrainingJob(first, event: Self.event("alpha-job"))
            try await store.insertTrainingJob(Self.job("beta-job", created: 20), event: Self.event("beta-job"))
            try await store.insertTrainingJob(Self.job("alpha-job", account: otherAccount, created: 30), event: Self.event("x"))
            await expectError(.alreadyExists) { try await store.insertTrainingJob(first, event: Self.event("alpha-job")) }
            #expect(try await store.trainingJob(name: "alpha-job", accountId: account) == first)
            #expect(try await store.trainingJob(name: "gamma-job", accountId: account) == nil)

            var running = try TrainingJobLifecycle.apply(.downloading, to: first, at: time(40))
            #expect(try await store.updateTrainingJob(running, expectedModified: first.lastModifiedTime, event: nil))
            // A writer that read the job before that update loses.
            #expect(try await store.updateTrainingJob(first, expectedModified: first.lastModifiedTime, event: nil) == false)
            running = try TrainingJobLifecycle.apply(.failed(reason: "boom"), to: running, at: time(50))
            #expect(try await store.updateTrainingJob(running, expectedModified: time(40), event: Self.event("alpha-job")))
            #expect(try await store.trainingJob(name: "alpha-job", accountId: account)?.failureReason == "boom")

            var query = TrainingJobQuery(accountId: account)
            #expect(try await store.trainingJobs(query).map(\.name) == ["beta-job", "alpha-job"])
            query.status = .failed
            #expect(try await store.trainingJobs(query).map(\.name) == ["alpha-job"])
            query = TrainingJobQuery(accountId: account)
            query.nameContains = "BETA"
            #expect(try await store.trainingJobs(query).map(\.name) == ["beta-job"])
            query = TrainingJobQuery(accountId: account)
            query.sortBy = .name
            query.descending = false
            query.limit = 1
            query.offset = 1
            #expect(try await store.trainingJobs(query).map(\.name) == ["beta-job"])
            #expect(try await store.unfinishedTrainingJobs().map(\.name).sorted() == ["alpha-job", "beta-job"])
            // Three inserts and one update wrote events, each in its own transaction with the row.
            #expect(try await store.events(after: 0, accountId: account, limit: 10).count == 4)
        }
    }
}
