import Foundation

/// Which transform jobs a listing returns (ListTransformJobs' filters).
public typealias TransformJobQuery = JobQuery<TransformJobStatus>

/// Transform jobs, one row each, written with their state-change events.
public protocol TransformJobStore: Sendable {
    /// Throws `.alreadyExists` when the account has a job of that name.
    func insertTransformJob(_ job: TransformJob, event: NewEvent) async throws
    func transformJob(name: String, accountId: String) async throws -> TransformJob?
    /// Replaces the stored job with `job` if it still has `expectedModified` as its `lastModifiedTime`; returns false
    /// (and changes nothing) when another writer got there first.
    func updateTransformJob(_ job: TransformJob, expectedModified: Date, event: NewEvent?) async throws -> Bool
    func transformJobs(_ query: TransformJobQuery) async throws -> [TransformJob]
    /// Every job not yet in a terminal status, in all accounts (for recovery after a restart).
    func unfinishedTransformJobs() async throws -> [TransformJob]
}
