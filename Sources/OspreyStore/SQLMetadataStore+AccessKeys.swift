import Foundation
import OspreyCore
import SQLKit

/// Access keys.
extension SQLMetadataStore {
    public func insertAccessKey(_ key: StoredAccessKey) async throws {
        let conflict = OspreyError(.alreadyExists, "An access key with id \(key.id) or with the same secret already exists")
        try await write("storing an access key", conflict: conflict) { database in
            try await database.insert(into: "access_keys")
                .columns("id", "account_id", "sealed_secret", "secret_digest", "is_admin", "description", "created_at")
                .values(
                    key.id, key.accountId, Data(key.sealedSecret), key.secretDigest, key.isAdmin, key.description,
                    key.createdAt.epochMilliseconds
                )
                .run()
        }
    }

    public func accessKey(id: String) async throws -> StoredAccessKey? {
        try await read("reading an access key") { database in
            try await database.select().column("*").from("access_keys").where("id", .equal, id).first().map(Records.accessKey)
        }
    }

    public func accessKey(secretDigest: String) async throws -> StoredAccessKey? {
        try await read("reading an access key") { database in
            try await database.select().column("*").from("access_keys").where("secret_digest", .equal, secretDigest).first()
                .map(Records.accessKey)
        }
    }

    public func accessKeys(accountId: String) async throws -> [StoredAccessKey] {
        try await read("listing access keys") { database in
            try await database.select().column("*").from("access_keys").where("account_id", .equal, accountId)
                .orderBy("created_at").orderBy("id")
                .all().map(Records.accessKey)
        }
    }

    public func deleteAccessKey(id: String, accountId: String) async throws -> Bool {
        try await write("deleting an access key") { database in
            try await database.delete(from: "access_keys").where("id", .equal, id).where("account_id", .equal, accountId)
                .returning("id").first() != nil
        }
    }
}
