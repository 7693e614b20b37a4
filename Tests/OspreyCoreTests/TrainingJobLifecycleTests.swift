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
        job = try TrainingJobLifecycle.apply(.stopped(.maxRuntime), to: job, at: Self.at(4))
        #expect(job.status == .stopped)
        #expect(job.secondaryStatus == .maxRuntimeExceeded)
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.failed(reason: "late"), to: job, at: Self.at(5)) }

        let failed = try TrainingJobLifecycle.apply(.failed(reason: "AlgorithmError: boom"), to: Self.job, at: Self.at(1))
        #expect(failed.status == .failed && failed.failureReason == "AlgorithmError: boom")
        #expect(failed.trainingStartTime == nil && failed.trainingEndTime == nil)
    }

    @Test func spotInterruptionsRepeatTrainingAndAreNotBilledWhileWaiting() throws {
        var job = try TrainingJobLifecycle.apply(.training, to: Self.job, at: Self.at(1))
        job = try TrainingJobLifecycle.apply(.interrupted, to: job, at: Self.at(5))
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.interrupted, to: job, at: Self.at(6)) }
        job = try TrainingJobLifecycle.apply(.restarting, to: job, at: Self.at(8))
        job = try TrainingJobLifecycle.apply(.training, to: job, at: Self.at(9.5))
        job = try TrainingJobLifecycle.apply(.uploading, to: job, at: Self.at(20))
        job = try TrainingJobLifecycle.apply(.completed, to: job, at: Self.at(21))
        #expect(job.transitions.map(\.status) == [.starting, .training, .interrupted, .restarting, .training, .uploading, .completed])
        #expect(job.status == .completed && job.trainingStartTime == Self.at(1))
        #expect(job.unbilledSeconds == 4.5)
        #expect(job.trainingSeconds(now: Self.at(100)) == 19)
        #expect(job.billableSeconds(now: Self.at(100)) == 15)
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.restarting, to: Self.job, at: Self.at(1)) }
    }

    @Test func waitingChangesTheStartingMessageOnly() throws {
        let job = try TrainingJobLifecycle.apply(.waiting(message: "Waiting for capacity"), to: Self.job, at: Self.at(1))
        #expect(job.transitions.map(\.status) == [.starting] && job.transitions[0].message == "Waiting for capacity")
        let downloading = try TrainingJobLifecycle.apply(.downloading, to: job, at: Self.at(2))
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.waiting(message: "late"), to: downloading, at: Self.at(3)) }
        let stopped = try TrainingJobLifecycle.apply(.stopped(.maxWait), to: downloading, at: Self.at(3))
        #expect(stopped.status == .stopped && stopped.secondaryStatus == .maxWaitTimeExceeded)
    }

    @Test func outOfOrderEventsAreRefused() {
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.completed, to: Self.job, at: Self.at(1)) }
        #expect(throws: OspreyError.self) { try TrainingJobLifecycle.apply(.uploading, to: Self.job, at: Self.at(1)) }
    }
}
