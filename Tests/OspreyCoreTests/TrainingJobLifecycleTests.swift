import Foundation
import OspreyCore
import Testing

@Suite struct TrainingJobLifecycleTests {
    static let start = Date(timeIntervalSince1970: 1_000)
    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }
    static var job: TrainingJob {
        TrainingJob(name: "j", accountId: Deployment.rootAccount, arn: "arn", request: .object([:]), creationTime: start)
    }

    @Test func aJobRunsThroughItsSecondaryStatuses() throws {
        var job = Self.job
        job = try TrainingJobLifecycle.apply(.downloading, to: job, at: Self.at(1))
        job = try TrainingJobLifecycle.apply(.training, to: job, at: Self.at(2))
        job = try TrainingJobLifecycle.apply(.uploading, to: job, at: Self.at(12.5))
        job = try TrainingJobLifecycle.apply(.completed, to: job, at: Self.at(13))
        #expect(job.status == .completed)
        #expect(job.transitions.map(\.status) == [.starting, .downloading, .training, .uploading, .completed])
        #expect(job.transitions.allSatisfy { $0.endTime != nil && !$0.message.isEmpty })
        #expect(job.transitions[1].endTime == Self.at(2))
        #expect(job.trainingSeconds(now: Self.at(100)) == 11)
        #expect(job.lastModifiedTime == Self.at(13))
    }

    @Test func stoppingAndFailing() throws {
        var job = try TrainingJobLifecycle.apply(.training, to: Self.job, at: Self.at(1))
        job = try TrainingJobLifecycle.apply(.stopRequested, to: job, at: Self.at(2))
        #expect(job.status == .stopping)
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.stopRequested, to: job, at: Self.at(3)) }
        job = try TrainingJobLifecycle.apply(.uploading, to: job, at: Self.at(3))
        job = try TrainingJobLifecycle.apply(.stopped(maxRuntimeExceeded: true), to: job, at: Self.at(4))
        #expect(job.status == .stopped)
        #expect(job.secondaryStatus == .maxRuntimeExceeded)
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.failed(reason: "late"), to: job, at: Self.at(5)) }

        let failed = try TrainingJobLifecycle.apply(.failed(reason: "AlgorithmError: boom"), to: Self.job, at: Self.at(1))
        #expect(failed.status == .failed && failed.failureReason == "AlgorithmError: boom")
        #expect(failed.trainingStartTime == nil && failed.trainingEndTime == nil)
    }

    @Test func outOfOrderEventsAreRefused() {
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.completed, to: Self.job, at: Self.at(1)) }
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.uploading, to: Self.job, at: Self.at(1)) }
    }
}
