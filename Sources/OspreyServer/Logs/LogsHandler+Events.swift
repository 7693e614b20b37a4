import Foundation
import OspreyCore

/// PutLogEvents, GetLogEvents and FilterLogEvents.
extension LogsHandler {
    /// PutLogEvents' batch limit: the UTF-8 bytes of the messages plus 26 per event.
    static let maxBatchBytes = 1_048_576
    static let eventOverheadBytes = 26
    /// GetLogEvents and FilterLogEvents answer at most this many bytes of events (counted as for a batch).
    static let maxResponseBytes = 1_048_576
    static let maxEventsPerPage = 10_000
    static let day: Int64 = 24 * 3_600_000
    /// FilterLogEvents reads the store in batches of this many events, and at most `filterScanLimit` events per call (it then
    /// answers a `nextToken`, possibly with few or no events, as AWS does on a long search).
    static let filterBatch = 1_000
    static let filterScanLimit = 20_000

    // MARK: PutLogEvents

    /// Stores a batch, as AWS does: the batch must be in chronological order, span at most 24 hours and fit 1 MiB; events
    /// more than 14 days old or 2 hours ahead are not stored and are reported in `rejectedLogEventsInfo`.
    ///
    /// `sequenceToken` is accepted and ignored (AWS has ignored it since 2023); `nextSequenceToken` is still answered.
    func putLogEvents(_ call: AWSJSONCall) async throws -> JSONValue {
        let group = call.string("logGroupName") ?? ""
        let stream = call.string("logStreamName") ?? ""
        let events: [(timestamp: Int64, message: String)] = (call.list("logEvents") ?? []).map { event in
            (Int64(exactly: event["timestamp"]?.numberValue ?? 0) ?? 0, event["message"]?.stringValue ?? "")
        }
        for index in events.indices.dropFirst() where events[index].timestamp < events[index - 1].timestamp {
            throw OspreyError(.invalidParameter, "Log events in a single PutLogEvents request must be in chronological order.")
        }
        if let first = events.first, let last = events.last, last.timestamp - first.timestamp > Self.day {
            throw OspreyError(.invalidParameter, "Log events in a single PutLogEvents request cannot span more than 24 hours.")
        }
        let bytes = events.reduce(0) { $0 + $1.message.utf8.count + Self.eventOverheadBytes }
        guard bytes <= Self.maxBatchBytes else {
            throw OspreyError(.invalidParameter, "Upload too large: \(bytes) bytes exceeds limit of \(Self.maxBatchBytes)")
        }
        let now = now()
        // The batch is sorted, so too-old events are a prefix and too-new ones a suffix.
        let tooOldEnd = events.firstIndex { $0.timestamp >= now - 14 * Self.day } ?? events.count
        let tooNewStart = max(tooOldEnd, events.firstIndex { $0.timestamp > now + 2 * 3_600_000 } ?? events.count)
        try await store.appendLogEvents(
            accountId: call.principal.accountId, group: group, stream: stream, events: Array(events[tooOldEnd..<tooNewStart]), ingestionTime: now,
            sourceOffset: nil
        )
        var output: [String: JSONValue] = ["nextSequenceToken": .string(Self.sequenceToken(now))]
        var rejected: [String: JSONValue] = [:]
        if tooOldEnd > 0 { rejected["tooOldLogEventEndIndex"] = .number(Double(tooOldEnd)) }
        if tooNewStart < events.count { rejected["tooNewLogEventStartIndex"] = .number(Double(tooNewStart)) }
        if !rejected.isEmpty { output["rejectedLogEventsInfo"] = .object(rejected) }
        return .object(output)
    }

    /// A token shaped like AWS's (56 digits); nothing reads it back.
    static func sequenceToken(_ now: Int64) -> String {
        let digits = String(now)
        return String(repeating: "0", count: max(0, 56 - digits.count)) + digits
    }

    // MARK: GetLogEvents

    /// One page of a stream's events, in the order they were stored, with `nextForwardToken` and `nextBackwardToken`.
    ///
    /// Without a token: the first events (`startFromHead`) or the last ones. The forward token of a page names its last event;
    /// on an empty page it is the token asked with (or, without one, the stream's current end), so it returns later events.
    func getLogEvents(_ call: AWSJSONCall) async throws -> JSONValue {
        let account = call.principal.accountId
        let group = try groupName(call)
        let stream = call.string("logStreamName") ?? ""
        let token = try call.string("nextToken").map(LogEventsToken.init(parsing:))
        let limit = call.int("limit") ?? Self.maxEventsPerPage
        let startTime = call.int64("startTime")
        let endTime = call.int64("endTime")
        func read(after: Int64?, before: Int64?) async throws -> [LogEvent] {
            try await store.logEvents(
                accountId: account, group: group, stream: stream, startTime: startTime, endTime: endTime, afterSequence: after,
                beforeSequence: before, limit: limit
            )
        }
        var events: [LogEvent]
        let backward: Bool
        // Where an empty page leaves the reader: after this sequence.
        let position: Int64
        switch token {
        case .forward(let after)?:
            events = try await read(after: after, before: nil)
            backward = false
            position = after
        case .backward(let before)?:
            events = try await read(after: nil, before: before)
            backward = true
            position = max(0, before - 1)
        case nil:
            // The stream's end is read first: an event stored after it has a greater sequence, so an empty page's token finds it.
            let end =
                try await store.logEvents(
                    accountId: account, group: group, stream: stream, startTime: nil, endTime: nil, afterSequence: nil, beforeSequence: .max, limit: 1
                ).last?.sequence ?? 0
            backward = call.bool("startFromHead") != true
            events = try await backward ? read(after: nil, before: .max) : read(after: 0, before: nil)
            position = end
        }
        events = Self.capped(events, keepingLast: backward)
        let forward = events.last.map { LogEventsToken.forward(after: $0.sequence) } ?? .forward(after: position)
        let backwardToken = events.first.map { LogEventsToken.backward(before: $0.sequence) } ?? .backward(before: position + 1)
        return .object([
            "events": .array(
                events.map { event in
                    .object([
                        "timestamp": .number(Double(event.timestamp)), "message": .string(event.message),
                        "ingestionTime": .number(Double(event.ingestionTime)),
                    ])
                }
            ),
            "nextForwardToken": .string(forward.text),
            "nextBackwardToken": .string(backwardToken.text),
        ])
    }

    /// The events that fit `maxResponseBytes`: the first ones, or the last ones when reading backward.
    static func capped(_ events: [LogEvent], keepingLast: Bool) -> [LogEvent] {
        var bytes = 0
        var count = 0
        for event in keepingLast ? events.reversed() : events {
            bytes += event.message.utf8.count + eventOverheadBytes
            if bytes > maxResponseBytes { break }
            count += 1
        }
        guard count < events.count else { return events }
        return keepingLast ? Array(events.suffix(count)) : Array(events.prefix(count))
    }

    // MARK: FilterLogEvents

    /// Events of a group's streams (named, by prefix, or all) in time order whose messages match `filterPattern`.
    ///
    /// `nextToken` names the last event read; a page may end before `limit` (1 MiB, or `filterScanLimit` events read) with a
    /// `nextToken` to go on. `searchedLogStreams` lists the named streams, else the streams the page read events from.
    func filterLogEvents(_ call: AWSJSONCall) async throws -> JSONValue {
        let account = call.principal.accountId
        let group = try groupName(call)
        let names = call.list("logStreamNames")?.compactMap(\.stringValue)
        let prefix = call.string("logStreamNamePrefix")
        if names != nil && prefix != nil {
            throw OspreyError(.invalidParameter, "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        }
        let pattern = try FilterPattern(parsing: call.string("filterPattern") ?? "")
        let limit = call.int("limit") ?? Self.maxEventsPerPage
        var cursor = try call.string("nextToken").map(Self.filterPosition)
        var matched: [(stream: String, event: LogEvent)] = []
        var searched: [String] = []
        var bytes = 0
        var scanned = 0
        var more = true
        scan: while more && matched.count < limit && scanned < Self.filterScanLimit {
            let batchSize = pattern.isEmpty ? min(limit - matched.count, Self.filterBatch) : Self.filterBatch
            let batch = try await store.filterLogEvents(
                accountId: account, group: group, streams: names, streamPrefix: prefix, startTime: call.int64("startTime"),
                endTime: call.int64("endTime"), after: cursor, limit: batchSize
            )
            more = batch.count == batchSize
            for (index, found) in batch.enumerated() {
                let size = found.event.message.utf8.count + Self.eventOverheadBytes
                if pattern.matches(found.event.message) {
                    if bytes + size > Self.maxResponseBytes {
                        more = true
                        break scan
                    }
                    bytes += size
                    matched.append(found)
                }
                cursor = (found.event.timestamp, found.stream, found.event.sequence)
                scanned += 1
                if !searched.contains(found.stream) { searched.append(found.stream) }
                if matched.count == limit {
                    more = more || index < batch.count - 1
                    break scan
                }
            }
        }
        var output: [String: JSONValue] = [
            "events": .array(
                matched.map { found in
                    .object([
                        "logStreamName": .string(found.stream), "timestamp": .number(Double(found.event.timestamp)),
                        "message": .string(found.event.message), "ingestionTime": .number(Double(found.event.ingestionTime)),
                        "eventId": .string(Self.eventId(stream: found.stream, event: found.event)),
                    ])
                }
            ),
            "searchedLogStreams": .array(
                (names ?? searched).map { .object(["logStreamName": .string($0), "searchedCompletely": .bool(!more)]) }
            ),
        ]
        if more, let cursor { output["nextToken"] = .string(PageToken.encode([String(cursor.timestamp), cursor.stream, String(cursor.sequence)])) }
        return .object(output)
    }

    static func filterPosition(_ token: String) throws -> (timestamp: Int64, stream: String, sequence: Int64) {
        let parts = try PageToken.decode(token, count: 3)
        guard let timestamp = Int64(parts[0]), let sequence = Int64(parts[2]) else { throw LogEventsToken.invalid() }
        return (timestamp, parts[1], sequence)
    }

    /// A 56-digit id, unique in the group: the timestamp, a hash of the stream name and the sequence.
    static func eventId(stream: String, event: LogEvent) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in stream.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        func padded(_ value: some BinaryInteger, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(event.timestamp, 16) + padded(hash, 20) + padded(event.sequence, 20)
    }
}
