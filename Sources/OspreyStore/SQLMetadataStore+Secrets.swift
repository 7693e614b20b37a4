import Foundation
import OspreyCore
import SQLKit

/// Secrets: sealed values, one row per (account, name), each change with its event in the same transaction.
extension SQLMetadataStore {
    public func putSecret(accountId: String, name: String, sealedValue: [UInt8], time: Date) async throws -> Bool {
        let event = Self.secretEvent("osprey.secrets.SecretPut", accountId: accountId, name: name, time: time)
        let value = Data(sealedValue)
        let millis = time.epochMilliseconds
        return try await write("storing a secret") { database in
            // Insert unless present, else update: portable, and tells a creation from a replacement even when two puts race.
            let created =
                try await database.insert(into: "secrets")
                .columns("account_id", "name", "sealed_value", "created_at", "updated_at")
                .values(accountId, name, value, millis, millis)
                .ignoringConflicts(with: ["account_id", "name"])
                .returning("name").first() != nil
            if !created {
                try await database.update("secrets").set("sealed_value", to: value).set("updated_at", to: millis)
                    .where("account_id", .equal, accountId).where("name", .equal, name)
                    .run()
            }
            try await self.insertEvent(event, on: database)
            return created
        }
    }

    public func secret(accountId: String, name: String) async throws -> StoredSecret? {
        try await read("reading a secret") { database in
            try await database.select().column("*").from("secrets").where("account_id", .equal, accountId).where("name", .equal, name)
                .first().map { row in StoredSecret(info: try Self.secretInfo(row), sealedValue: try row.bytes("sealed_value")) }
        }
    }

    public func secrets(accountId: String) async throws -> [SecretInfo] {
        try await read("listing secrets") { database in
            try await database.select().columns("name", "created_at", "updated_at").from("secrets").where("account_id", .equal, accountId)
                .orderBy("name")
                .all().map(Self.secretInfo)
        }
    }

    public func deleteSecret(accountId: String, name: String, time: Date) async throws -> Bool {
        let event = Self.secretEvent("osprey.secrets.SecretDeleted", accountId: accountId, name: name, time: time)
        return try await write("deleting a secret") { database in
            let deleted =
                try await database.delete(from: "secrets").where("account_id", .equal, accountId).where("name", .equal, name)
                .returning("name").first() != nil
            if deleted { try await self.insertEvent(event, on: database) }
            return deleted
        }
    }

    /// A secret's event: the name only, never the value.
    private static func secretEvent(_ type: String, accountId: String, name: String, time: Date) -> NewEvent {
        NewEvent(type: type, accountId: accountId, resource: name, detail: JSONColumn.encode(["name": name]), time: time)
    }

    private static func secretInfo(_ row: any SQLRow) throws -> SecretInfo {
        SecretInfo(name: try row.string("name"), createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }
}
