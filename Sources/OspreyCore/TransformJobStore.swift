import Foundation

/// Which transform jobs a listing returns (ListTransformJobs' filters).
public struct TransformJobQuery: Sendable, Hashable {
    public enum SortBy: String, Sendable { case name = "Name", creationTime = "CreationTime", status = "Status" }

    public var accountId: String
    public var nameContains: String?
    public var status: TransformJobStatus?
    public var creationAfter: Date?
    public var creationBefore: Date?
    public var modifiedAfter: Date?
    public var modifiedBefore: Date?
    public var sortBy: SortBy = .creationTime
    public var descending = true
    /// How many matching jobs to skip (the page token).
    public var offset = 0
    public var limit = 10

    public init(accountId: String) { self.accountId = accountId }
}

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
