import Foundation
import OspreyCore
import Testing

@testable import OspreyStore

/// The `LogStore` port (CloudWatch Logs groups, streams, events), run against every backend in `Backend.all`.
@Suite("LogStore")
struct LogStoreTests {
    static let group = "/aws/sagemaker/TrainingJobs"

    @Test(arguments: Backend.all)
    func groupsAreScopedByAccountAndPaged(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            #expect(try await store.createLogGroup(accountId: account, group: "/b", creationTime: 10))
            #expect(try await store.createLogGroup(accountId: account, group: "/a/2", creationTime: 11))
            #expect(try await store.createLogGroup(accountId: account, group: "/a/1", creationTime: 12))
            #expect(try await store.createLogGroup(accountId: account, group: "/a/1", creationTime: 99) == false)
            #expect(try await store.createLogGroup(accountId: otherAccount, group: "/a/1", creationTime: 13))

            let all = try await store.logGroups(accountId: account, prefix: "", after: nil, limit: 10)
            #expect(all.map(\.name) == ["/a/1", "/a/2", "/b"])
            #expect(all.map(\.creationTime) == [12, 11, 10])
            #expect(try await store.logGroups(accountId: account, prefix: "/a/", after: nil, limit: 1).map(\.name) == ["/a/1"])
            #expect(try await store.logGroups(accountId: account, prefix: "/a/", after: "/a/1", limit: 5).map(\.name) == ["/a/2"])
            #expect(try await store.logGroups(accountId: account, prefix: "/a%", after: nil, limit: 5).isEmpty)
            #expect(try await store.logGroups(accountId: otherAccount, prefix: "", after: nil, limit: 5).map(\.name) == ["/a/1"])
            #expect(try await store.logGroups(accountId: account, prefix: "", after: nil, limit: 0).isEmpty)
        }
    }

    @Test(arguments: Backend.all)
    func streamsAreListedByNameOrLastEvent(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            // Creating a stream creates its group.
            #expect(try await store.createLogStream(accountId: account, group: Self.group, stream: "job-b/algo-1-1", creationTime: 5))
            #expect(try await store.createLogStream(accountId: account, group: Self.group, stream: "job-b/algo-1-1", creationTime: 6) == false)
            #expect(try await store.logGroups(accountId: account, prefix: "", after: nil, limit: 5).map(\.name) == [Self.group])
            for name in ["job-a/algo-1-1", "job-a/algo-2-1", "job-c/algo-1-1"] {
                try await store.createLogStream(accountId: account, group: Self.group, stream: name, creationTime: 7)
            }
            func names(prefix: String = "", byLastEvent: Bool = false, descending: Bool = false, after: String? = nil, limit: Int = 50)
                async throws -> [String]
            {
                try await store.logStreams(
                    accountId: account, group: Self.group, prefix: prefix, orderByLastEvent: byLastEvent, descending: descending,
                    after: after, limit: limit
                ).map(\.name)
            }
            #expect(try await names() == ["job-a/algo-1-1", "job-a/algo-2-1", "job-b/algo-1-1", "job-c/algo-1-1"])
            #expect(try await names(prefix: "job-a/") == ["job-a/algo-1-1", "job-a/algo-2-1"])
            #expect(try await names(prefix: "job-a/", limit: 1) == ["job-a/algo-1-1"])
            #expect(try await names(prefix: "job-a/", after: "job-a/algo-1-1") == ["job-a/algo-2-1"])
            #expect(try await names(descending: true, limit: 2) == ["job-c/algo-1-1", "job-b/algo-1-1"])
            #expect(try await names(descending: true, after: "job-b/algo-1-1") == ["job-a/algo-2-1", "job-a/algo-1-1"])

            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: "job-c/algo-1-1", events: [(100, "c")], ingestionTime: 1000, sourceOffset: nil
            )
            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: "job-a/algo-2-1", events: [(300, "a2")], ingestionTime: 1000, sourceOffset: nil
            )
            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: "job-b/algo-1-1", events: [(200, "b")], ingestionTime: 1000, sourceOffset: nil
            )
            // Streams without events come first; ties by name.
            let byTime = ["job-a/algo-1-1", "job-c/algo-1-1", "job-b/algo-1-1", "job-a/algo-2-1"]
            #expect(try await names(byLastEvent: true) == byTime)
            #expect(try await names(byLastEvent: true, descending: true) == byTime.reversed())
            #expect(try await names(byLastEvent: true, limit: 2) == Array(byTime.prefix(2)))
            #expect(try await names(byLastEvent: true, after: "job-c/algo-1-1") == Array(byTime.suffix(2)))
            #expect(try await names(byLastEvent: true, descending: true, after: "job-b/algo-1-1") == ["job-c/algo-1-1", "job-a/algo-1-1"])

            await expectError(.notFound) {
                _ = try await store.logStreams(
                    accountId: account, group: "/missing", prefix: "", orderByLastEvent: false, descending: false, after: nil, limit: 5
                )
            }
            await expectError(.notFound) {
                _ = try await store.logStreams(
                    accountId: otherAccount, group: Self.group, prefix: "", orderByLastEvent: false, descending: false, after: nil, limit: 5
                )
            }
            try await store.createLogGroup(accountId: account, group: "/empty", creationTime: 1)
            #expect(
                try await store.logStreams(
                    accountId: account, group: "/empty", prefix: "", orderByLastEvent: false, descending: false, after: nil, limit: 5
                ).isEmpty
            )
        }
    }

    @Test(arguments: Backend.all)
    func appendsNumberEventsAndKeepTheStreamSummary(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let stream = "job/algo-1-1"
            try await store.createLogStream(accountId: account, group: Self.group, stream: stream, creationTime: 1)
            let created = try #require(try await store.logStream(accountId: account, group: Self.group, stream: stream))
            #expect(
                created
                    == LogStreamInfo(
                        group: Self.group, name: stream, creationTime: 1, firstEventTimestamp: nil, lastEventTimestamp: nil, lastIngestionTime: nil,
                        sourceOffset: 0
                    ))
            #expect(try await store.logStream(accountId: otherAccount, group: Self.group, stream: stream) == nil)

            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: stream, events: [(50, "one"), (60, "twö ✓"), (60, "three")], ingestionTime: 70,
                sourceOffset: 42
            )
            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: stream, events: [(40, "late"), (90, "four")], ingestionTime: 95, sourceOffset: nil
            )
            let summary = try #require(try await store.logStream(accountId: account, group: Self.group, stream: stream))
            #expect(summary.firstEventTimestamp == 40)
            #expect(summary.lastEventTimestamp == 90)
            #expect(summary.lastIngestionTime == 95)
            #expect(summary.sourceOffset == 42)

            // An empty batch only moves the offset.
            try await store.appendLogEvents(accountId: account, group: Self.group, stream: stream, events: [], ingestionTime: 500, sourceOffset: 77)
            let moved = try #require(try await store.logStream(accountId: account, group: Self.group, stream: stream))
            #expect(moved.sourceOffset == 77)
            #expect(moved.lastIngestionTime == 95)

            let events = try await store.logEvents(
                accountId: account, group: Self.group, stream: stream, startTime: nil, endTime: nil, afterSequence: nil, beforeSequence: nil,
                limit: 100
            )
            #expect(events.map(\.sequence) == [1, 2, 3, 4, 5])
            #expect(events.map(\.message) == ["one", "twö ✓", "three", "late", "four"])
            #expect(events.map(\.ingestionTime) == [70, 70, 70, 95, 95])
            #expect(events[1] == LogEvent(sequence: 2, timestamp: 60, ingestionTime: 70, message: "twö ✓"))

            await expectError(.notFound) {
                try await store.appendLogEvents(
                    accountId: account, group: Self.group, stream: "nope", events: [(1, "x")], ingestionTime: 1, sourceOffset: nil
                )
            }
            await expectError(.notFound) {
                try await store.appendLogEvents(
                    accountId: otherAccount, group: Self.group, stream: stream, events: [], ingestionTime: 1, sourceOffset: 1)
            }
        }
    }

    @Test(arguments: Backend.all)
    func largeBatchesSpanSeveralInserts(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createLogStream(accountId: account, group: Self.group, stream: "big", creationTime: 1)
            let batch = (0..<2_500).map { (timestamp: Int64($0), message: "line \($0)") }
            try await store.appendLogEvents(accountId: account, group: Self.group, stream: "big", events: batch, ingestionTime: 9, sourceOffset: 1)
            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: "big", events: [(3_000, "after")], ingestionTime: 9, sourceOffset: 2
            )
            let tail = try await store.logEvents(
                accountId: account, group: Self.group, stream: "big", startTime: nil, endTime: nil, afterSequence: nil, beforeSequence: .max,
                limit: 3
            )
            #expect(tail.map(\.sequence) == [2_499, 2_500, 2_501])
            #expect(tail.map(\.message) == ["line 2498", "line 2499", "after"])
        }
    }

    @Test(arguments: Backend.all)
    func eventsPageForwardBackwardAndByTime(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let stream = "s"
            try await store.createLogStream(accountId: account, group: Self.group, stream: stream, creationTime: 1)
            let batch = (1...10).map { (timestamp: Int64($0 * 10), message: "m\($0)") }
            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: stream, events: batch, ingestionTime: 200, sourceOffset: nil)
            func page(start: Int64? = nil, end: Int64? = nil, after: Int64? = nil, before: Int64? = nil, limit: Int = 100) async throws -> [Int64] {
                try await store.logEvents(
                    accountId: account, group: Self.group, stream: stream, startTime: start, endTime: end, afterSequence: after,
                    beforeSequence: before, limit: limit
                ).map(\.sequence)
            }
            #expect(try await page(limit: 3) == [1, 2, 3])
            #expect(try await page(after: 3, limit: 3) == [4, 5, 6])
            #expect(try await page(after: 10).isEmpty)
            #expect(try await page(before: .max, limit: 3) == [8, 9, 10])
            #expect(try await page(before: 8, limit: 3) == [5, 6, 7])
            #expect(try await page(before: 1).isEmpty)
            // [startTime, endTime)
            #expect(try await page(start: 35, end: 70) == [4, 5, 6])
            #expect(try await page(start: 40, end: 40).isEmpty)
            #expect(try await page(start: 50, after: 7) == [8, 9, 10])
            #expect(try await page(start: 20, before: 5, limit: 2) == [3, 4])
            #expect(try await page(after: 2, before: 5) == [3, 4])
            #expect(try await page(limit: 0).isEmpty)

            await expectError(.notFound) {
                _ = try await store.logEvents(
                    accountId: account, group: Self.group, stream: "missing", startTime: nil, endTime: nil, afterSequence: nil,
                    beforeSequence: nil, limit: 5
                )
            }
            do {
                _ = try await store.logEvents(
                    accountId: account, group: "/missing", stream: stream, startTime: nil, endTime: nil, afterSequence: nil, beforeSequence: nil,
                    limit: 5
                )
                Issue.record("expected notFound")
            } catch let error as OspreyError {
                #expect(error.code == .notFound)
                #expect(error.message == "The specified log group does not exist.")
            }
        }
    }

    @Test(arguments: Backend.all)
    func filterMergesStreamsInTimeOrder(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            for stream in ["a/1", "a/2", "b/1"] {
                try await store.createLogStream(accountId: account, group: Self.group, stream: stream, creationTime: 1)
            }
            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: "a/1", events: [(10, "a1-10"), (30, "a1-30"), (30, "a1-30b")], ingestionTime: 1,
                sourceOffset: nil
            )
            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: "a/2", events: [(20, "a2-20"), (30, "a2-30")], ingestionTime: 1, sourceOffset: nil
            )
            try await store.appendLogEvents(
                accountId: account, group: Self.group, stream: "b/1", events: [(5, "b1-5"), (40, "b1-40")], ingestionTime: 1, sourceOffset: nil
            )
            func filter(
                streams: [String]? = nil, prefix: String? = nil, start: Int64? = nil, end: Int64? = nil,
                after: (timestamp: Int64, stream: String, sequence: Int64)? = nil, limit: Int = 100
            ) async throws -> [String] {
                try await store.filterLogEvents(
                    accountId: account, group: Self.group, streams: streams, streamPrefix: prefix, startTime: start, endTime: end, after: after,
                    limit: limit
                ).map(\.event.message)
            }
            #expect(try await filter() == ["b1-5", "a1-10", "a2-20", "a1-30", "a1-30b", "a2-30", "b1-40"])
            #expect(try await filter(prefix: "a/") == ["a1-10", "a2-20", "a1-30", "a1-30b", "a2-30"])
            #expect(try await filter(streams: ["b/1", "a/2"]) == ["b1-5", "a2-20", "a2-30", "b1-40"])
            #expect(try await filter(streams: []).isEmpty)
            #expect(try await filter(start: 20, end: 40) == ["a2-20", "a1-30", "a1-30b", "a2-30"])

            // Paging by the last (timestamp, stream, sequence) seen.
            let first = try await store.filterLogEvents(
                accountId: account, group: Self.group, streams: nil, streamPrefix: nil, startTime: nil, endTime: nil, after: nil, limit: 4
            )
            #expect(first.map(\.event.message) == ["b1-5", "a1-10", "a2-20", "a1-30"])
            let last = try #require(first.last)
            #expect(last.stream == "a/1")
            #expect(try await filter(after: (last.event.timestamp, last.stream, last.event.sequence)) == ["a1-30b", "a2-30", "b1-40"])

            await expectError(.notFound) {
                _ = try await store.filterLogEvents(
                    accountId: otherAccount, group: Self.group, streams: nil, streamPrefix: nil, startTime: nil, endTime: nil, after: nil, limit: 5
                )
            }
            #expect(try await filter(prefix: "zzz").isEmpty)
        }
    }

    @Test(arguments: Backend.all)
    func concurrentAppendsToOneStreamGetDistinctSequences(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createLogStream(accountId: account, group: Self.group, stream: "busy", creationTime: 1)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for writer in 0..<8 {
                    tasks.addTask {
                        for batch in 0..<5 {
                            let events = (0..<3).map { (timestamp: Int64(batch), message: "w\(writer) b\(batch) e\($0)") }
                            try await store.appendLogEvents(
                                accountId: account, group: Self.group, stream: "busy", events: events, ingestionTime: 1, sourceOffset: nil
                            )
                        }
                    }
                }
                try await tasks.waitForAll()
            }
            let events = try await store.logEvents(
                accountId: account, group: Self.group, stream: "busy", startTime: nil, endTime: nil, afterSequence: nil, beforeSequence: nil,
                limit: 1_000
            )
            #expect(events.map(\.sequence) == Array(1...120))
            #expect(Set(events.map(\.message)).count == 120)
            // Each batch's events stay together and in order.
            for start in stride(from: 0, to: 120, by: 3) {
                let messages = events[start..<start + 3].map(\.message)
                let batch = messages[0].dropLast(2)
                #expect(messages == ["\(batch)e0", "\(batch)e1", "\(batch)e2"])
            }
        }
    }
}
