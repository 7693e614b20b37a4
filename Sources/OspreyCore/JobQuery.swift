import Foundation

/// Which jobs a SageMaker `List*Jobs` call returns: its name, status and time filters, sort and page.
public struct JobQuery<Status: Sendable & Hashable>: Sendable, Hashable {
    public enum SortBy: String, Sendable { case name = "Name", creationTime = "CreationTime", status = "Status" }

    public var accountId: String
    public var nameContains: String?
    public var status: Status?
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
