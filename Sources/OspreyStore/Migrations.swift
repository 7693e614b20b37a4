import Foundation
import Logging
import SQLKit

/// A forward-only schema change. Its statements run in one transaction together with its `schema_migrations` row.
struct Migration: Sendable {
    var version: Int
    var name: String
    var statements: @Sendable (StoreDialect) -> [String]
}

/// The schema's history, applied in order at start-up.
enum Migrations {
    /// Every migration, by ascending version. Never edit one that has shipped: append a new one.
    static let all: [Migration] = [initialSchema, logs, trainingJobs, secrets, imagesAndMetrics, serving, transformJobs, autoScaling]

    /// Applies the migrations the database lacks, each in its own transaction; returns the versions it applied.
    ///
    /// Each transaction first takes the dialect's migration lock and re-reads `schema_migrations`, so concurrent
    /// starts apply each migration once.
    @discardableResult
    static func apply(_ migrations: [Migration] = all, on backend: any StoreBackend, logger: Logger) async throws -> [Int] {
        let dialect = backend.dialect
        var applied: [Int] = []
        for migration in migrations {
            let didApply = try await backend.transaction { database in
                if let lock = dialect.migrationLock { try await database.raw(lock).run() }
                try await database.raw(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)"
                ).run()
                let present = try await database.select().column("version").from("schema_migrations")
                    .where("version", .equal, migration.version).first()
                if present != nil { return false }
                for statement in migration.statements(dialect) {
                    try await database.raw(SQLQueryString(statement)).run()
                }
                try await database.insert(into: "schema_migrations").columns("version", "applied_at")
                    .values(migration.version, Date().epochMilliseconds).run()
                return true
            }
            if didApply {
                logger.info("Applied metadata schema migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration.version)
            }
        }
        return applied
    }

    /// The versions recorded in `schema_migrations`, ascending.
    static func appliedVersions(on backend: any StoreBackend) async throws -> [Int] {
        try await backend.read { database in
            try await database.select().column("version").from("schema_migrations").orderBy("version").all()
                .map { Int(try $0.decode(column: "version", as: Int64.self)) }
        }
    }

    /// Migration 1: access keys, the S3 namespace, the event outbox and webhooks.
    static let initialSchema = Migration(version: 1, name: "initial schema") { dialect in
        let key = dialect.keyText
        let bytes = dialect.bytes
        return [
            """
            CREATE TABLE access_keys (
                id \(key) PRIMARY KEY,
                account_id \(key) NOT NULL,
                sealed_secret \(bytes) NOT NULL,
                secret_digest \(key) NOT NULL UNIQUE,
                is_admin BOOLEAN NOT NULL,
                description TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX access_keys_by_account ON access_keys (account_id, created_at, id)",
            """
            CREATE TABLE buckets (
                name \(key) PRIMARY KEY,
                account_id \(key) NOT NULL,
                region TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX buckets_by_account ON buckets (account_id, name)",
            """
            CREATE TABLE objects (
                bucket \(key) NOT NULL REFERENCES buckets (name),
                "key" \(key) NOT NULL,
                size BIGINT NOT NULL,
                etag TEXT NOT NULL,
                content_type TEXT NOT NULL,
                metadata TEXT NOT NULL,
                last_modified BIGINT NOT NULL,
                blobs TEXT NOT NULL,
                PRIMARY KEY (bucket, "key")
            )
            """,
            """
            CREATE TABLE multipart_uploads (
                id \(key) PRIMARY KEY,
                bucket \(key) NOT NULL REFERENCES buckets (name),
                "key" \(key) NOT NULL,
                content_type TEXT NOT NULL,
                metadata TEXT NOT NULL,
                initiated BIGINT NOT NULL
            )
            """,
            "CREATE INDEX multipart_uploads_by_key ON multipart_uploads (bucket, \"key\", initiated, id)",
            """
            CREATE TABLE multipart_parts (
                upload_id \(key) NOT NULL REFERENCES multipart_uploads (id),
                part_number BIGINT NOT NULL,
                etag TEXT NOT NULL,
                blob_key TEXT NOT NULL,
                blob_size BIGINT NOT NULL,
                last_modified BIGINT NOT NULL,
                PRIMARY KEY (upload_id, part_number)
            )
            """,
            """
            CREATE TABLE events (
                sequence \(dialect.sequencePrimaryKey),
                account_id \(key) NOT NULL,
                "type" TEXT NOT NULL,
                resource TEXT NOT NULL,
                detail TEXT NOT NULL,
                "time" BIGINT NOT NULL
            )
            """,
            "CREATE INDEX events_by_account ON events (account_id, sequence)",
            """
            CREATE TABLE webhooks (
                id \(key) PRIMARY KEY,
                account_id \(key) NOT NULL,
                url TEXT NOT NULL,
                event_types TEXT NOT NULL,
                sealed_secret \(bytes) NOT NULL,
                "cursor" BIGINT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX webhooks_by_account ON webhooks (account_id, created_at, id)",
        ]
    }
}
