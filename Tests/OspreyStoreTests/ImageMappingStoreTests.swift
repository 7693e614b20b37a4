import Foundation
import OspreyCore
import Testing

@testable import OspreyStore

@Suite("Image mapping store")
struct ImageMappingStoreTests {
    @Test(arguments: Backend.all)
    func insertListAndDelete(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            #expect(try await store.imageMappings().isEmpty)
            let glob = ImageMapping(
                pattern: "123.dkr.ecr.us-east-1.amazonaws.com/my-team/*", environment: "my-team", python: nil,
                packages: ["scikit-learn==1.5.*", "numpy>=1.26,<2"], createdAt: time(1))
            let exact = ImageMapping(
                pattern: "MyImage:1.0", environment: "conda-env", python: "/opt/conda/envs/team/bin/python", packages: [], createdAt: time(2))
            try await store.insertImageMapping(glob)
            try await store.insertImageMapping(exact)
            // By pattern in byte order ("1" < "M"), every field as stored.
            #expect(try await store.imageMappings() == [glob, exact])

            var again = exact
            again.environment = "other"
            await expectError(.alreadyExists) { try await store.insertImageMapping(again) }
            #expect(try await store.imageMappings() == [glob, exact])

            #expect(try await store.deleteImageMapping(pattern: "MyImage:1.0"))
            #expect(try await store.deleteImageMapping(pattern: "MyImage:1.0") == false)
            // Patterns are exact keys: a pattern's prefix or a different case removes nothing.
            #expect(try await store.deleteImageMapping(pattern: "123.dkr.ecr.us-east-1.amazonaws.com/my-team/") == false)
            #expect(try await store.imageMappings() == [glob])
        }
    }
}

@Suite("Training metric store")
struct TrainingMetricStoreTests {
    static func point(_ metric: String, _ value: Double, at timestamp: Int64, stream: String = "job/algo-1-1", offset: Int64)
        -> TrainingMetricPoint
    {
        TrainingMetricPoint(metric: metric, value: value, timestamp: timestamp, stream: stream, offset: offset)
    }

    @Test(arguments: Backend.all)
    func pointsReadBackByMetricThenTimeOnePerLine(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let points = [
                Self.point("loss", 0.9, at: 1000, offset: 0), Self.point("acc", 0.1, at: 1000, offset: 0),
                Self.point("loss", 0.5, at: 2000, offset: 40), Self.point("loss", 0.25, at: 1500, stream: "job/algo-2-1", offset: 0),
                Self.point("loss", -1.5e-7, at: 3000, offset: 80),
            ]
            #expect(try await store.appendTrainingMetrics(accountId: account, jobName: "job", points: points, limit: 100) == 5)
            // The same lines read again (after a restart) store nothing, even with a later timestamp.
            let replayed = [Self.point("loss", 0.9, at: 9000, offset: 0), Self.point("loss", 0.7, at: 9000, offset: 120)]
            #expect(try await store.appendTrainingMetrics(accountId: account, jobName: "job", points: replayed, limit: 100) == 1)

            let all = try await store.trainingMetrics(accountId: account, jobName: "job", metric: nil)
            #expect(all.map(\.metric) == ["acc", "loss", "loss", "loss", "loss", "loss"])
            #expect(all.filter { $0.metric == "loss" }.map(\.value) == [0.9, 0.25, 0.5, -1.5e-7, 0.7])
            #expect(all.filter { $0.metric == "loss" }.map(\.timestamp) == [1000, 1500, 2000, 3000, 9000])
            #expect(all[2] == Self.point("loss", 0.25, at: 1500, stream: "job/algo-2-1", offset: 0))

            #expect(try await store.trainingMetrics(accountId: account, jobName: "job", metric: "acc") == [points[1]])
            #expect(try await store.trainingMetrics(accountId: account, jobName: "job", metric: "missing").isEmpty)
            #expect(try await store.trainingMetrics(accountId: otherAccount, jobName: "job", metric: nil).isEmpty)
            #expect(try await store.trainingMetrics(accountId: account, jobName: "other", metric: nil).isEmpty)
        }
    }

    @Test(arguments: Backend.all)
    func eachJobKeepsAtMostTheLimit(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            // More rows than one INSERT holds, so the cap and the chunking meet.
            let many = (0..<2500).map { Self.point("loss", Double($0), at: Int64($0), offset: Int64($0) * 10) }
            #expect(try await store.appendTrainingMetrics(accountId: account, jobName: "capped", points: many, limit: 2100) == 2100)
            let more = [Self.point("loss", 1, at: 99_999, offset: 999_999)]
            #expect(try await store.appendTrainingMetrics(accountId: account, jobName: "capped", points: more, limit: 2100) == 0)
            let kept = try await store.trainingMetrics(accountId: account, jobName: "capped", metric: nil)
            #expect(kept.count == 2100 && kept.last?.value == 2099)
            // The cap is per job.
            #expect(try await store.appendTrainingMetrics(accountId: account, jobName: "next", points: more, limit: 2100) == 1)
            #expect(try await store.appendTrainingMetrics(accountId: account, jobName: "none", points: [], limit: 2100) == 0)
        }
    }
}
