import Foundation

/// Which training jobs a listing returns (ListTrainingJobs' filters).
public typealias TrainingJobQuery = JobQuery<TrainingJobStatus>

/// Training jobs, one row each, written with their state-change events.
public protocol TrainingJobStore: Sendable {
    /// Throws `.alreadyExists` when the account has a job of that name.
    func insertTrainingJob(_ job: TrainingJob, event: NewEvent) async throws
    func trainingJob(name: String, accountId: String) async throws -> TrainingJob?
    /// Replaces the stored job with `job` if it still has `expectedModified` as its `lastModifiedTime`; returns false
    /// (and changes nothing) when another writer got there first.
    func updateTrainingJob(_ job: TrainingJob, expectedModified: Date, event: NewEvent?) async throws -> Bool
    func trainingJobs(_ query: TrainingJobQuery) async throws -> [TrainingJob]
    /// Every job not yet in a terminal status, in all accounts (for re-adoption after a restart).
    func unfinishedTrainingJobs() async throws -> [TrainingJob]
}
