import Foundation
public import OspreyCore

/// One step of a live event stream: an event, or a poll of the outbox that found nothing new.
public enum EventStreamElement: Sendable, Hashable {
    case event(StoredEvent)
    /// The last poll found no new event. Comes once per poll interval while the stream is quiet, so a consumer can send
    /// keep-alives or notice a shutdown without a timer of its own.
    case idle
}

/// Reads the event outbox as live streams, scoped to one account.
///
/// Streams poll the store rather than listen to this process, so they also see events that other servers on the same
/// database write.
public struct EventService: Sendable {
    /// The most events one poll reads.
    public static let batchSize = 500

    let store: any EventStore
    let pollInterval: Duration

    /// `pollInterval` is how long a stream waits after a poll that found nothing.
    public init(store: any EventStore, pollInterval: Duration = .milliseconds(200)) {
        self.store = store
        self.pollInterval = pollInterval
    }

    /// The account's events with sequence greater than `after`, in sequence order, as they are written.
    ///
    /// Runs until the consuming task is cancelled. A store failure ends the stream with that error: resume with the last
    /// sequence seen.
    public func stream(after: Int64, accountId: String) -> AsyncThrowingStream<StoredEvent, any Error> {
        let poller = EventPoller(store: store, accountId: accountId, cursor: after, interval: pollInterval)
        return AsyncThrowingStream {
            while let element = try await poller.next() {
                if case .event(let event) = element { return event }
            }
            return nil
        }
    }

    /// As `stream(after:accountId:)`, with an `.idle` element after each poll that found nothing.
    public func watch(after: Int64, accountId: String) -> AsyncThrowingStream<EventStreamElement, any Error> {
        let poller = EventPoller(store: store, accountId: accountId, cursor: after, interval: pollInterval)
        return AsyncThrowingStream { try await poller.next() }
    }

    /// The sequence number of the newest event of any account, 0 when there is none.
    ///
    /// A stream or webhook that starts after it sees only events written from now on.
    public func currentEnd() async throws -> Int64 {
        try await store.endOfOutbox()
    }
}

/// The state of one stream: where it is, and the rest of the last batch read.
actor EventPoller {
    private let store: any EventStore
    private let accountId: String
    private let interval: Duration
    private var cursor: Int64
    private var pending: ArraySlice<StoredEvent> = []

    init(store: any EventStore, accountId: String, cursor: Int64, interval: Duration) {
        self.store = store
        self.accountId = accountId
        self.cursor = cursor
        self.interval = interval
    }

    /// The next event, `.idle` after a poll that found none, or nil once the calling task is cancelled.
    func next() async throws -> EventStreamElement? {
        if Task.isCancelled { return nil }
        if pending.isEmpty {
            do {
                pending = try await store.events(after: cursor, accountId: accountId, limit: EventService.batchSize)[...]
            } catch {
                if Task.isCancelled { return nil }
                throw error
            }
        }
        guard let event = pending.popFirst() else {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return nil
            }
            return .idle
        }
        cursor = event.sequence
        return .event(event)
    }
}

extension EventStore {
    /// The largest sequence number in the outbox, 0 when it is empty.
    ///
    /// The port has no "newest event" query, so this searches with single-row reads on the sequence index: about
    /// 2·log2(n) of them, each cheap. Correct because sequences become visible in commit order.
    func endOfOutbox() async throws -> Int64 {
        func first(after sequence: Int64) async throws -> Int64? {
            try await events(after: sequence, accountId: nil, limit: 1).first?.sequence
        }
        // Invariant: an event exists at `low`, and none exists after `high`.
        guard var low = try await first(after: 0) else { return 0 }
        var high: Int64
        var step: Int64 = 1
        while true {
            let (probe, overflow) = low.addingReportingOverflow(step)
            if overflow {
                high = .max
                break
            }
            guard let found = try await first(after: probe) else {
                high = probe
                break
            }
            low = found
            step = step < Int64.max / 2 ? step * 2 : step
        }
        while low < high {
            let middle = low + (high - low) / 2
            if let found = try await first(after: middle) {
                low = found
            } else {
                high = middle
            }
        }
        return low
    }
}
