import Foundation
import OspreyCore
import SQLKit

/// The event outbox and webhook subscriptions.
extension SQLMetadataStore {
    public func appendEvent(_ event: NewEvent) async throws {
        try await write("recording an event") { database in
            try await self.insertEvent(event, on: database)
        }
    }

    public func events(after: Int64, accountId: String?, limit: Int) async throws -> [StoredEvent] {
        guard limit > 0 else { return [] }
        return try await read("reading events") { database in
            let select = database.select().column("*").from("events").where("sequence", .greaterThan, after)
            if let accountId { select.where("account_id", .equal, accountId) }
            return try await select.orderBy("sequence").limit(limit).all().map(Records.event)
        }
    }

    public func insertWebhook(_ webhook: Webhook) async throws {
        let conflict = OspreyError(.alreadyExists, "A webhook with id \(webhook.id) already exists")
        try await write("storing a webhook", conflict: conflict) { database in
            try await database.insert(into: "webhooks")
                .columns("id", "account_id", "url", "event_types", "sealed_secret", "cursor", "created_at")
                .values(
                    webhook.id, webhook.accountId, webhook.url, JSONColumn.encode(webhook.eventTypes), Data(webhook.sealedSecret),
                    webhook.cursor, webhook.createdAt.epochMilliseconds
                )
                .run()
        }
    }

    public func webhooks(accountId: String?) async throws -> [Webhook] {
        try await read("listing webhooks") { database in
            let select = database.select().column("*").from("webhooks")
            if let accountId { select.where("account_id", .equal, accountId) }
            return try await select.orderBy("created_at").orderBy("id").all().map(Records.webhook)
        }
    }

    public func deleteWebhook(id: String, accountId: String) async throws -> Bool {
        try await write("deleting a webhook") { database in
            try await database.delete(from: "webhooks").where("id", .equal, id).where("account_id", .equal, accountId)
                .returning("id").first() != nil
        }
    }

    /// Sets the cursor to `cursor` when that is ahead of it; does nothing otherwise, or when the webhook is gone.
    public func advanceWebhook(id: String, cursor: Int64) async throws {
        try await write("advancing a webhook") { database in
            try await database.update("webhooks").set("cursor", to: cursor)
                .where("id", .equal, id).where("cursor", .lessThan, cursor)
                .run()
        }
    }
}
