import Foundation

/// One log event as CloudWatch Logs shows it.
public struct LogEvent: Sendable, Hashable {
    /// Orders events within a stream; also their forward/backward tokens.
    public var sequence: Int64
    /// When the event happened, milliseconds since the epoch.
    public var timestamp: Int64
    /// When Osprey stored it, milliseconds since the epoch.
    public var ingestionTime: Int64
    public var message: String

    public init(sequence: Int64, timestamp: Int64, ingestionTime: Int64, message: String) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.ingestionTime = ingestionTime
        self.message = message
    }
}

/// A log stream's summary.
public struct LogStreamInfo: Sendable, Hashable {
    public var group: String
    public var name: String
    public var creationTime: Int64
    public var firstEventTimestamp: Int64?
    public var lastEventTimestamp: Int64?
    public var lastIngestionTime: Int64?
    /// How far into its source (e.g. a job's log file, in bytes) the stream has stored lines; resumes tailing after a restart.
    public var sourceOffset: Int64

    public init(
        group: String, name: String, creationTime: Int64, firstEventTimestamp: Int64?, lastEventTimestamp: Int64?, lastIngestionTime: Int64?,
        sourceOffset: Int64
    ) {
        self.group = group
        self.name = name
        self.creationTime = creationTime
        self.firstEventTimestamp = firstEventTimestamp
        self.lastEventTimestamp = lastEventTimestamp
        self.lastIngestionTime = lastIngestionTime
        self.sourceOffset = sourceOffset
    }
}

/// Log groups, streams and events (the CloudWatch Logs subset), scoped by account.
public protocol LogStore: Sendable {
    /// Creates the group if missing; returns false when it already existed.
    @discardableResult
    func createLogGroup(accountId: String, group: String, creationTime: Int64) async throws -> Bool
    /// Groups whose names start with `prefix`, by name, after `after` (exclusive), at most `limit`.
    func logGroups(accountId: String, prefix: String, after: String?, limit: Int) async throws -> [(name: String, creationTime: Int64)]
    /// Creates the stream (and its group) if missing; returns false when the stream already existed.
    @discardableResult
    func createLogStream(accountId: String, group: String, stream: String, creationTime: Int64) async throws -> Bool
    /// Appends events (in order) to a stream and, in the same transaction, sets the stream's `sourceOffset` when given.
    /// Throws `.notFound` when the stream does not exist.
    func appendLogEvents(
        accountId: String, group: String, stream: String, events: [(timestamp: Int64, message: String)], ingestionTime: Int64,
        sourceOffset: Int64?
    ) async throws
    /// Streams of a group whose names start with `prefix`, ordered by name or by last event time, after `after`, at most `limit`.
    /// Throws `.notFound` when the group does not exist.
    func logStreams(accountId: String, group: String, prefix: String, orderByLastEvent: Bool, descending: Bool, after: String?, limit: Int)
        async throws -> [LogStreamInfo]
    func logStream(accountId: String, group: String, stream: String) async throws -> LogStreamInfo?
    /// Events of one stream with `timestamp` in [startTime, endTime) when given, and sequence after `afterSequence` (forward,
    /// ascending) or before `beforeSequence` (backward, returned ascending), at most `limit`.
    func logEvents(
        accountId: String, group: String, stream: String, startTime: Int64?, endTime: Int64?, afterSequence: Int64?, beforeSequence: Int64?,
        limit: Int
    ) async throws -> [LogEvent]
    /// Events across the group's streams named in `streams` (all when nil), time-bounded, after (stream, sequence) of a previous
    /// page, ordered by (timestamp, stream, sequence), at most `limit`; substring filtering is the caller's.
    func filterLogEvents(
        accountId: String, group: String, streams: [String]?, streamPrefix: String?, startTime: Int64?, endTime: Int64?,
        after: (timestamp: Int64, stream: String, sequence: Int64)?, limit: Int
    ) async throws -> [(stream: String, event: LogEvent)]
}
