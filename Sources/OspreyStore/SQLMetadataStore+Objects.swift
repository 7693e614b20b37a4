import OspreyCore
import SQLKit

/// Buckets and objects.
extension SQLMetadataStore {
    public func createBucket(_ bucket: Bucket, event: NewEvent) async throws {
        // A stale entry could hold a bucket of this name that another server deleted.
        defer { bucketCache?.invalidate(bucket.name) }
        try await write("creating a bucket") { database in
            let inserted = try await database.insert(into: "buckets")
                .columns("name", "account_id", "region", "created_at")
                .values(bucket.name, bucket.accountId, bucket.region, bucket.createdAt.epochMilliseconds)
                .ignoringConflicts(with: "name")
                .returning("name").first()
            guard inserted != nil else {
                let owner = try await database.select().column("account_id").from("buckets").where("name", .equal, bucket.name)
                    .first(decodingColumn: "account_id", as: String.self)
                if owner == bucket.accountId {
                    throw OspreyError(
                        .bucketAlreadyOwnedByYou, "Your previous request to create the named bucket succeeded and you already own it."
                    )
                }
                throw OspreyError(
                    .bucketAlreadyExists,
                    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
                        + "Please select a different name and try again."
                )
            }
            try await self.insertEvent(event, on: database)
        }
    }

    /// The bucket; on SQLite served from `BucketCache` for up to a second after it was read (see there for what that means).
    public func bucket(named name: String) async throws -> Bucket? {
        if let cached = bucketCache?.bucket(named: name) { return cached }
        let generation = bucketCache?.generation
        let found = try await read("reading a bucket") { database in
            try await database.raw("SELECT * FROM buckets WHERE name = \(bind: name)").first().map(Records.bucket)
        }
        if let found, let generation { bucketCache?.store(found, readAt: generation) }
        return found
    }

    public func buckets(accountId: String) async throws -> [Bucket] {
        try await read("listing buckets") { database in
            try await database.select().column("*").from("buckets").where("account_id", .equal, accountId).orderBy("name")
                .all().map(Records.bucket)
        }
    }

    public func deleteBucket(named name: String, event: NewEvent) async throws {
        let notEmpty = OspreyError(.bucketNotEmpty, "The bucket you tried to delete is not empty")
        bucketCache?.invalidate(name)
        defer { bucketCache?.invalidate(name) }
        // A foreign-key violation means an object or upload arrived concurrently.
        try await write("deleting a bucket", missingParent: notEmpty) { database in
            let found = try await database.select().column("name").from("buckets").where("name", .equal, name).for(.update).first()
            guard found != nil else { throw Self.noSuchBucket(name) }
            let object = try await database.select().column("key").from("objects").where("bucket", .equal, name).limit(1).first()
            let upload = try await database.select().column("id").from("multipart_uploads").where("bucket", .equal, name).limit(1).first()
            guard object == nil, upload == nil else { throw notEmpty }
            try await database.delete(from: "buckets").where("name", .equal, name).run()
            try await self.insertEvent(event, on: database)
        }
    }

    @discardableResult
    public func putObject(_ object: ObjectRecord, event: NewEvent?) async throws -> ObjectRecord? {
        // Most keys are new: without an event to record with it, the insert is a statement of its own, and only a key
        // that has an object needs the transaction that reads the row it replaces.
        let missingParent = Self.noSuchBucket(object.bucket)
        if event == nil {
            let inserted = try await writeStatement("storing an object", missingParent: missingParent) { database in
                try await Self.insertIfAbsent(object, on: database)
            }
            if inserted { return nil }
        }
        return try await write("storing an object", missingParent: missingParent) { database in
            let replaced = try await Self.object(bucket: object.bucket, key: object.key, on: database)
            try await Self.upsert(object, on: database)
            if let event { try await self.insertEvent(event, on: database) }
            return replaced
        }
    }

    public func object(bucket: String, key: String) async throws -> ObjectRecord? {
        try await read("reading an object") { database in
            try await Self.object(bucket: bucket, key: key, on: database)
        }
    }

    /// Removes the object; records `event` only when there was one to remove.
    public func deleteObject(bucket: String, key: String, event: NewEvent?) async throws -> ObjectRecord? {
        let delete: @Sendable (any SQLDatabase) async throws -> ObjectRecord? = { database in
            try await database.delete(from: "objects").where("bucket", .equal, bucket).where("key", .equal, key)
                .returning("*").first().map(Records.object)
        }
        // Without an event to record, the delete is a statement of its own.
        guard let event else { return try await writeStatement("deleting an object", delete) }
        return try await write("deleting an object") { database in
            let removed = try await delete(database)
            if removed != nil { try await self.insertEvent(event, on: database) }
            return removed
        }
    }

    public func listObjects(_ query: ObjectListQuery) async throws -> [ObjectRecord] {
        guard query.limit > 0 else { return [] }
        return try await read("listing objects") { database in
            let select = database.select().column("*").from("objects").where("bucket", .equal, query.bucket)
            if !query.prefix.isEmpty {
                select.where("key", .greaterThanOrEqual, query.prefix)
                if let upperBound = KeyRange.upperBound(ofPrefix: query.prefix) {
                    select.where("key", .lessThan, upperBound)
                }
            }
            if let after = query.after { select.where("key", .greaterThan, after) }
            return try await select.orderBy("key").limit(query.limit).all().map(Records.object)
        }
    }

    public func referencedBlobKeys() async throws -> Set<String> {
        // One statement, so objects and parts come from one snapshot: a completion moving blobs between them is seen
        // on one side or the other, never on neither.
        try await read("listing referenced blobs") { database in
            let rows = try await database.raw(
                "SELECT blobs AS ref, 0 AS is_part FROM objects UNION ALL SELECT blob_key AS ref, 1 AS is_part FROM multipart_parts"
            ).all()
            var keys = Set<String>()
            for row in rows {
                let reference = try row.string("ref")
                if try row.int64("is_part") == 1 {
                    keys.insert(reference)
                } else {
                    for blob in try JSONColumn.decodeBlobs(reference, column: "blobs") { keys.insert(blob.key) }
                }
            }
            return keys
        }
    }

    // MARK: Shared statements

    static func noSuchBucket(_ name: String) -> OspreyError {
        OspreyError(.noSuchBucket, "The specified bucket does not exist")
    }

    // The two statements of the object hot path are written out: SQLKit's builders cost more CPU than SQLite itself here.

    static func object(bucket: String, key: String, on database: any SQLDatabase) async throws -> ObjectRecord? {
        try await database.raw("SELECT * FROM objects WHERE bucket = \(bind: bucket) AND \"key\" = \(bind: key)").first().map(Records.object)
    }

    /// Inserts the object unless one is at its (bucket, key); true when inserted. Fails on a foreign key when the bucket is gone.
    static func insertIfAbsent(_ object: ObjectRecord, on database: any SQLDatabase) async throws -> Bool {
        try await database.raw(
            """
            INSERT INTO objects (bucket, "key", size, etag, content_type, metadata, last_modified, blobs) \
            VALUES (\(bind: object.bucket), \(bind: object.key), \(bind: object.size), \(bind: object.etag), \(bind: object.contentType), \
            \(bind: JSONColumn.encode(object.metadata)), \(bind: object.lastModified.epochMilliseconds), \(bind: JSONColumn.encode(object.blobs))) \
            ON CONFLICT (bucket, "key") DO NOTHING RETURNING bucket
            """
        ).first() != nil
    }

    /// Inserts the object or replaces every column of the one at its (bucket, key). Fails on a foreign key when the bucket is gone.
    static func upsert(_ object: ObjectRecord, on database: any SQLDatabase) async throws {
        try await database.raw(
            """
            INSERT INTO objects (bucket, "key", size, etag, content_type, metadata, last_modified, blobs) \
            VALUES (\(bind: object.bucket), \(bind: object.key), \(bind: object.size), \(bind: object.etag), \(bind: object.contentType), \
            \(bind: JSONColumn.encode(object.metadata)), \(bind: object.lastModified.epochMilliseconds), \(bind: JSONColumn.encode(object.blobs))) \
            ON CONFLICT (bucket, "key") DO UPDATE SET size = excluded.size, etag = excluded.etag, content_type = excluded.content_type, \
            metadata = excluded.metadata, last_modified = excluded.last_modified, blobs = excluded.blobs
            """
        ).run()
    }
}
