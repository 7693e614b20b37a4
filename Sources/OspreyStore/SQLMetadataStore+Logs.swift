import OspreyCore
import SQLKit

/// Log groups, streams and events (the CloudWatch Logs subset).
///
/// Events are numbered per stream from 1. An append locks its stream's row first (the `UPDATE` of its summary), so appends to
/// one stream are serialized and a reader that sees sequence N has seen every event before it. Reads that find nothing
/// check that the group (and stream) exist, and throw `.notFound` with AWS's message when they do not.
extension SQLMetadataStore {
    /// Rows per `INSERT` of events: 7 binds each stays far below SQLite's and PostgreSQL's bind limits.
    static let eventRowsPerInsert = 1000

    @discardableResult
    public func createLogGroup(accountId: String, group: String, creationTime: Int64) async throws -> Bool {
        try await write("creating a log group") { database in
            try await Self.insertLogGroup(accountId: accountId, group: group, creationTime: creationTime, on: database)
        }
    }

    public func logGroups(accountId: String, prefix: String, after: String?, limit: Int) async throws -> [(name: String, creationTime: Int64)] {
        guard limit > 0 else { return [] }
        let groups = try await read("listing log groups") { database in
            let select = database.select().column("name").column("creation_time").from("log_groups").where("account_id", .equal, accountId)
            Self.restrict("name", toPrefix: prefix, select)
            if let after { select.where("name", .greaterThan, after) }
            return try await select.orderBy("name").limit(limit).all().map { row in
                LogGroupRow(name: try row.string("name"), creationTime: try row.int64("creation_time"))
            }
        }
        return groups.map { ($0.name, $0.creationTime) }
    }

    @discardableResult
    public func createLogStream(accountId: String, group: String, stream: String, creationTime: Int64) async throws -> Bool {
        try await write("creating a log stream") { database in
            try await Self.insertLogGroup(accountId: accountId, group: group, creationTime: creationTime, on: database)
            return try await database.raw(
                """
                INSERT INTO log_streams (account_id, group_name, name, creation_time, source_offset) \
                VALUES (\(bind: accountId), \(bind: group), \(bind: stream), \(bind: creationTime), 0) \
                ON CONFLICT (account_id, group_name, name) DO NOTHING RETURNING name
                """
            ).first() != nil
        }
    }

    public func appendLogEvents(
        accountId: String, group: String, stream: String, events: [(timestamp: Int64, message: String)], ingestionTime: Int64,
        sourceOffset: Int64?
    ) async throws {
        let rows = events.map { LogEventInput(timestamp: $0.timestamp, message: $0.message) }
        try await write("storing log events") { database in
            let stream = StreamKey(accountId: accountId, group: group, stream: stream)
            guard try await Self.updateSummary(of: stream, for: rows, ingestionTime: ingestionTime, sourceOffset: sourceOffset, on: database) else {
                throw try await Self.missing(stream, on: database)
            }
            guard !rows.isEmpty else { return }
            let last =
                try await database.raw(
                    """
                    SELECT COALESCE(MAX(sequence), 0) AS last FROM log_events \
                    WHERE account_id = \(bind: accountId) AND group_name = \(bind: group) AND stream_name = \(bind: stream.stream)
                    """
                ).first()?.int64("last") ?? 0
            var sequence = last
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + Self.eventRowsPerInsert, rows.count)]
                var values: [SQLQueryString] = []
                values.reserveCapacity(chunk.count)
                for row in chunk {
                    sequence += 1
                    values.append(
                        """
                        (\(bind: accountId), \(bind: group), \(bind: stream.stream), \(bind: sequence), \(bind: row.timestamp), \
                        \(bind: ingestionTime), \(bind: row.message))
                        """
                    )
                }
                try await database.raw(
                    """
                    INSERT INTO log_events (account_id, group_name, stream_name, sequence, "timestamp", ingestion_time, message) \
                    VALUES \(values.joined(separator: ", "))
                    """
                ).run()
                start += chunk.count
            }
        }
    }

    /// `after` is the name of the last stream of the previous page. Ordered by last event, streams without events count as -1
    /// and the page continues from `after`'s last event time as it is now (a stream that got events meanwhile moves, as on AWS).
    public func logStreams(
        accountId: String, group: String, prefix: String, orderByLastEvent: Bool, descending: Bool, after: String?, limit: Int
    ) async throws -> [LogStreamInfo] {
        try await read("listing log streams") { database in
            var streams: [LogStreamInfo] = []
            if limit > 0 {
                let select = database.select().column("*").from("log_streams")
                    .where("account_id", .equal, accountId).where("group_name", .equal, group)
                Self.restrict("name", toPrefix: prefix, select)
                let direction: SQLDirection = descending ? .descending : .ascending
                if orderByLastEvent {
                    let lastEvent = SQLRaw("COALESCE(last_event_timestamp, -1)")
                    if let after {
                        let from = try await Self.streamRow(StreamKey(accountId: accountId, group: group, stream: after), on: database)
                        let position = from.map { $0.lastEventTimestamp ?? -1 } ?? (descending ? Int64.max : -1)
                        let comparison = descending ? "<" : ">"
                        let condition: SQLQueryString =
                            "(COALESCE(last_event_timestamp, -1), name) \(unsafeRaw: comparison) (\(bind: position), \(bind: after))"
                        select.where(condition)
                    }
                    select.orderBy(lastEvent, direction).orderBy(SQLColumn("name"), direction)
                } else {
                    if let after { select.where("name", descending ? .lessThan : .greaterThan, after) }
                    select.orderBy(SQLColumn("name"), direction)
                }
                streams = try await select.limit(limit).all().map(Self.streamInfo)
            }
            if streams.isEmpty, !(try await Self.groupExists(accountId: accountId, group: group, on: database)) {
                throw Self.noSuchLogGroup()
            }
            return streams
        }
    }

    public func logStream(accountId: String, group: String, stream: String) async throws -> LogStreamInfo? {
        try await read("reading a log stream") { database in
            try await Self.streamRow(StreamKey(accountId: accountId, group: group, stream: stream), on: database)
        }
    }

    /// Throws `.notFound` (naming the group or the stream, as AWS does) when the stream does not exist. With neither
    /// `afterSequence` nor `beforeSequence`, reads forward from the first event.
    public func logEvents(
        accountId: String, group: String, stream: String, startTime: Int64?, endTime: Int64?, afterSequence: Int64?, beforeSequence: Int64?,
        limit: Int
    ) async throws -> [LogEvent] {
        try await read("reading log events") { database in
            let key = StreamKey(accountId: accountId, group: group, stream: stream)
            var events: [LogEvent] = []
            if limit > 0 {
                let backward = afterSequence == nil && beforeSequence != nil
                var query: SQLQueryString = """
                    SELECT sequence, "timestamp", ingestion_time, message FROM log_events \
                    WHERE account_id = \(bind: accountId) AND group_name = \(bind: group) AND stream_name = \(bind: stream)
                    """
                if let startTime { query += " AND \"timestamp\" >= \(bind: startTime)" }
                if let endTime { query += " AND \"timestamp\" < \(bind: endTime)" }
                if let afterSequence { query += " AND sequence > \(bind: afterSequence)" }
                if let beforeSequence { query += " AND sequence < \(bind: beforeSequence)" }
                query += " ORDER BY sequence \(unsafeRaw: backward ? "DESC" : "ASC") LIMIT \(literal: limit)"
                events = try await database.raw(query).all().map(Self.event)
                if backward { events.reverse() }
            }
            if events.isEmpty, try await Self.streamRow(key, on: database) == nil {
                throw try await Self.missing(key, on: database)
            }
            return events
        }
    }

    /// Throws `.notFound` when the group does not exist. An empty `streams` list matches nothing.
    public func filterLogEvents(
        accountId: String, group: String, streams: [String]?, streamPrefix: String?, startTime: Int64?, endTime: Int64?,
        after: (timestamp: Int64, stream: String, sequence: Int64)?, limit: Int
    ) async throws -> [(stream: String, event: LogEvent)] {
        let position = after.map { FilterPosition(timestamp: $0.timestamp, stream: $0.stream, sequence: $0.sequence) }
        let found = try await read("filtering log events") { database in
            var found: [FilteredRow] = []
            if limit > 0, streams?.isEmpty != true {
                var query: SQLQueryString = """
                    SELECT stream_name, sequence, "timestamp", ingestion_time, message FROM log_events \
                    WHERE account_id = \(bind: accountId) AND group_name = \(bind: group)
                    """
                if let streams { query += " AND stream_name IN (\(binds: streams))" }
                if let streamPrefix, !streamPrefix.isEmpty {
                    query += " AND stream_name >= \(bind: streamPrefix)"
                    if let upperBound = KeyRange.upperBound(ofPrefix: streamPrefix) { query += " AND stream_name < \(bind: upperBound)" }
                }
                if let startTime { query += " AND \"timestamp\" >= \(bind: startTime)" }
                if let endTime { query += " AND \"timestamp\" < \(bind: endTime)" }
                if let position {
                    query += """
                         AND ("timestamp", stream_name, sequence) > (\(bind: position.timestamp), \(bind: position.stream), \
                        \(bind: position.sequence))
                        """
                }
                query += " ORDER BY \"timestamp\", stream_name, sequence LIMIT \(literal: limit)"
                found = try await database.raw(query).all().map { row in
                    FilteredRow(stream: try row.string("stream_name"), event: try Self.event(row))
                }
            }
            if found.isEmpty, !(try await Self.groupExists(accountId: accountId, group: group, on: database)) {
                throw Self.noSuchLogGroup()
            }
            return found
        }
        return found.map { ($0.stream, $0.event) }
    }

    // MARK: Shared statements

    static func noSuchLogGroup() -> OspreyError { OspreyError(.notFound, "The specified log group does not exist.") }
    static func noSuchLogStream() -> OspreyError { OspreyError(.notFound, "The specified log stream does not exist.") }

    /// Restricts `column` to values starting with `prefix`, as a key range.
    private static func restrict(_ column: String, toPrefix prefix: String, _ select: SQLSelectBuilder) {
        guard !prefix.isEmpty else { return }
        select.where(SQLColumn(column), .greaterThanOrEqual, SQLBind(prefix))
        if let upperBound = KeyRange.upperBound(ofPrefix: prefix) { select.where(SQLColumn(column), .lessThan, SQLBind(upperBound)) }
    }

    private static func insertLogGroup(accountId: String, group: String, creationTime: Int64, on database: any SQLDatabase) async throws
        -> Bool
    {
        try await database.raw(
            """
            INSERT INTO log_groups (account_id, name, creation_time) VALUES (\(bind: accountId), \(bind: group), \(bind: creationTime)) \
            ON CONFLICT (account_id, name) DO NOTHING RETURNING name
            """
        ).first() != nil
    }

    /// Widens the stream's event time range, stamps its ingestion time and moves its source offset; false when it does not exist.
    ///
    /// The `UPDATE` takes the stream's row lock (PostgreSQL), serializing appends to one stream until commit.
    private static func updateSummary(
        of key: StreamKey, for events: [LogEventInput], ingestionTime: Int64, sourceOffset: Int64?, on database: any SQLDatabase
    ) async throws -> Bool {
        var assignments: [SQLQueryString] = []
        if let first = events.map(\.timestamp).min(), let last = events.map(\.timestamp).max() {
            assignments.append(
                """
                first_event_timestamp = CASE WHEN first_event_timestamp IS NULL OR first_event_timestamp > \(bind: first) \
                THEN \(bind: first) ELSE first_event_timestamp END
                """
            )
            assignments.append(
                """
                last_event_timestamp = CASE WHEN last_event_timestamp IS NULL OR last_event_timestamp < \(bind: last) \
                THEN \(bind: last) ELSE last_event_timestamp END
                """
            )
            assignments.append("last_ingestion_time = \(bind: ingestionTime)")
        }
        if let sourceOffset { assignments.append("source_offset = \(bind: sourceOffset)") }
        // With nothing to change, a no-op assignment still locks the row and tells whether it exists.
        if assignments.isEmpty { assignments.append("source_offset = source_offset") }
        return try await database.raw(
            """
            UPDATE log_streams SET \(assignments.joined(separator: ", ")) \
            WHERE account_id = \(bind: key.accountId) AND group_name = \(bind: key.group) AND name = \(bind: key.stream) RETURNING name
            """
        ).first() != nil
    }

    private static func groupExists(accountId: String, group: String, on database: any SQLDatabase) async throws -> Bool {
        try await database.raw("SELECT name FROM log_groups WHERE account_id = \(bind: accountId) AND name = \(bind: group)").first() != nil
    }

    private static func streamRow(_ key: StreamKey, on database: any SQLDatabase) async throws -> LogStreamInfo? {
        try await database.raw(
            """
            SELECT * FROM log_streams \
            WHERE account_id = \(bind: key.accountId) AND group_name = \(bind: key.group) AND name = \(bind: key.stream)
            """
        ).first().map(streamInfo)
    }

    /// The error for a stream that is not there: its group is missing, or only the stream.
    private static func missing(_ key: StreamKey, on database: any SQLDatabase) async throws -> OspreyError {
        try await groupExists(accountId: key.accountId, group: key.group, on: database) ? noSuchLogStream() : noSuchLogGroup()
    }

    private static func streamInfo(_ row: any SQLRow) throws -> LogStreamInfo {
        LogStreamInfo(
            group: try row.string("group_name"),
            name: try row.string("name"),
            creationTime: try row.int64("creation_time"),
            firstEventTimestamp: try row.decode(column: "first_event_timestamp", as: Int64?.self),
            lastEventTimestamp: try row.decode(column: "last_event_timestamp", as: Int64?.self),
            lastIngestionTime: try row.decode(column: "last_ingestion_time", as: Int64?.self),
            sourceOffset: try row.int64("source_offset")
        )
    }

    private static func event(_ row: any SQLRow) throws -> LogEvent {
        LogEvent(
            sequence: try row.int64("sequence"),
            timestamp: try row.int64("timestamp"),
            ingestionTime: try row.int64("ingestion_time"),
            message: try row.string("message")
        )
    }
}

/// A stream's primary key.
private struct StreamKey: Sendable {
    var accountId: String
    var group: String
    var stream: String
}

/// The port's tuples as `Sendable` values, so they can cross into a transaction.
private struct LogEventInput: Sendable {
    var timestamp: Int64
    var message: String
}

private struct LogGroupRow: Sendable {
    var name: String
    var creationTime: Int64
}

private struct FilterPosition: Sendable {
    var timestamp: Int64
    var stream: String
    var sequence: Int64
}

private struct FilteredRow: Sendable {
    var stream: String
    var event: LogEvent
}
