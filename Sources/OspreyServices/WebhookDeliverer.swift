public import Crypto
import Foundation
public import Logging
public import OspreyCore
import Synchronization

/// Sends one webhook request and returns the HTTP status code. Throws for connection failures and timeouts.
public typealias WebhookSender = @Sendable (_ url: URL, _ headers: [String: String], _ body: [UInt8]) async throws -> Int

/// Delivers the event outbox to webhooks: at least once, in sequence order per webhook, signed.
///
/// `run()` keeps one task per webhook. A task reads its account's events after the webhook's cursor and POSTs each
/// matching one (`EventJSON` with `X-Osprey-Event-Id`, `X-Osprey-Event-Type`, `X-Osprey-Timestamp` and
/// `X-Osprey-Signature` headers); a 2xx moves the cursor past it, and events of other types move it without a POST.
/// A failure (non-2xx or no answer) leaves the cursor and retries the same event after a delay that doubles from
/// `firstRetry` to `maxRetry`, without holding up other webhooks. Receivers should drop duplicates by event id: a
/// crash between a 2xx and the cursor write, or several servers on one database, deliver an event twice.
public struct WebhookDeliverer: Sendable {
    /// How often to look for new webhooks and events, and how retries back off.
    public struct Timing: Sendable {
        public var pollInterval: Duration
        public var firstRetry: Duration
        public var maxRetry: Duration

        public init(pollInterval: Duration = .milliseconds(500), firstRetry: Duration = .milliseconds(500), maxRetry: Duration = .seconds(60)) {
            self.pollInterval = pollInterval
            self.firstRetry = firstRetry
            self.maxRetry = maxRetry
        }
    }

    let store: any EventStore & WebhookStore
    let masterKey: SymmetricKey
    let clock: any WallClock
    let timing: Timing
    let logger: Logger
    let send: WebhookSender

    public init(
        store: any EventStore & WebhookStore, masterKey: SymmetricKey, clock: any WallClock = SystemClock(), timing: Timing = Timing(),
        logger: Logger, send: @escaping WebhookSender
    ) {
        self.store = store
        self.masterKey = masterKey
        self.clock = clock
        self.timing = timing
        self.logger = logger
        self.send = send
    }

    /// Delivers until the calling task is cancelled. Store and receiver failures are logged and retried, never thrown.
    public func run() async {
        let roster = WebhookRoster()
        await withDiscardingTaskGroup { group in
            var started = Set<String>()
            while !Task.isCancelled {
                do {
                    let webhooks = try await store.webhooks(accountId: nil)
                    let ids = Set(webhooks.map(\.id))
                    roster.replace(with: ids)
                    for webhook in webhooks where !started.contains(webhook.id) {
                        started.insert(webhook.id)
                        group.addTask { await self.serve(webhook, roster: roster) }
                    }
                    started.formIntersection(ids)
                } catch {
                    if !Task.isCancelled { logger.warning("Cannot list webhooks", metadata: ["error": "\(error)"]) }
                }
                try? await Task.sleep(for: timing.pollInterval)
            }
        }
    }

    /// Delivers to one webhook until it is deleted or the task is cancelled.
    private func serve(_ webhook: Webhook, roster: WebhookRoster) async {
        var logger = self.logger
        logger[metadataKey: "webhook"] = .string(webhook.id)
        let secret: String
        do {
            secret = try WebhookSecret.open(webhook.sealedSecret, with: masterKey)
        } catch {
            logger.error("Cannot open the webhook's signing secret with this server's master key; not delivering to it")
            return
        }
        guard let url = URL(string: webhook.url) else {
            logger.error("The webhook's URL does not parse; not delivering to it")
            return
        }
        let types = Set(webhook.eventTypes)
        var cursor = webhook.cursor
        while !Task.isCancelled && roster.contains(webhook.id) {
            let batch: [StoredEvent]
            do {
                batch = try await store.events(after: cursor, accountId: webhook.accountId, limit: EventService.batchSize)
            } catch {
                if !Task.isCancelled { logger.warning("Cannot read events for a webhook", metadata: ["error": "\(error)"]) }
                try? await Task.sleep(for: timing.pollInterval)
                continue
            }
            if batch.isEmpty {
                try? await Task.sleep(for: timing.pollInterval)
                continue
            }
            var skipped: Int64?
            for event in batch {
                if !types.isEmpty && !types.contains(event.event.type) {
                    skipped = event.sequence
                    continue
                }
                if let skipped { await advance(webhook.id, to: skipped, logger: logger) }
                skipped = nil
                guard await deliver(event, to: url, secret: secret, webhookId: webhook.id, roster: roster, logger: logger) else { return }
                cursor = event.sequence
                await advance(webhook.id, to: cursor, logger: logger)
            }
            if let skipped {
                cursor = skipped
                await advance(webhook.id, to: skipped, logger: logger)
            }
        }
    }

    /// POSTs one event until a 2xx answers. False when the task was cancelled or the webhook deleted first.
    private func deliver(
        _ event: StoredEvent, to url: URL, secret: String, webhookId: String, roster: WebhookRoster, logger: Logger
    ) async -> Bool {
        let body = Array(EventJSON.render(event).utf8)
        var delay = timing.firstRetry
        var attempt = 1
        while true {
            let timestamp = String(Int64(clock.now().timeIntervalSince1970))
            let headers = [
                "Content-Type": "application/json",
                "User-Agent": "Osprey-Webhooks",
                "X-Osprey-Event-Id": String(event.sequence),
                "X-Osprey-Event-Type": event.event.type,
                "X-Osprey-Timestamp": timestamp,
                "X-Osprey-Signature": WebhookSecret.signature(secret: secret, timestamp: timestamp, body: body),
            ]
            let failure: String
            do {
                let status = try await send(url, headers, body)
                if (200..<300).contains(status) { return true }
                failure = "HTTP \(status)"
            } catch {
                if Task.isCancelled { return false }
                failure = "\(error)"
            }
            logger.warning(
                "Webhook delivery failed; retrying",
                metadata: ["event": "\(event.sequence)", "attempt": "\(attempt)", "error": "\(failure)", "retryIn": "\(delay)"]
            )
            do {
                try await Task.sleep(for: delay)
            } catch {
                return false
            }
            guard roster.contains(webhookId) else { return false }
            delay = min(delay * 2, timing.maxRetry)
            attempt += 1
        }
    }

    private func advance(_ id: String, to cursor: Int64, logger: Logger) async {
        do {
            try await store.advanceWebhook(id: id, cursor: cursor)
        } catch {
            // The in-memory cursor moves on; after a restart the events since the stored cursor go out again.
            logger.warning("Cannot store a webhook's cursor", metadata: ["cursor": "\(cursor)", "error": "\(error)"])
        }
    }
}

/// The ids of the webhooks that exist, as last read: a delivery task stops when its id leaves.
final class WebhookRoster: Sendable {
    private let ids = Mutex<Set<String>>([])

    func replace(with ids: Set<String>) {
        self.ids.withLock { $0 = ids }
    }

    func contains(_ id: String) -> Bool {
        ids.withLock { $0.contains(id) }
    }
}
