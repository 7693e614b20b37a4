import OspreyCore
import SQLKit

/// Multipart uploads and their parts.
extension SQLMetadataStore {
    public func createUpload(_ upload: MultipartUpload) async throws {
        let conflict = OspreyError(.alreadyExists, "An upload with id \(upload.id) already exists")
        try await write("creating a multipart upload", conflict: conflict, missingParent: Self.noSuchBucket(upload.bucket)) { database in
            try await database.insert(into: "multipart_uploads")
                .columns("id", "bucket", "key", "content_type", "metadata", "initiated")
                .values(
                    upload.id, upload.bucket, upload.key, upload.contentType, JSONColumn.encode(upload.metadata),
                    upload.initiated.epochMilliseconds
                )
                .run()
        }
    }

    public func upload(id: String) async throws -> MultipartUpload? {
        try await read("reading a multipart upload") { database in
            try await database.select().column("*").from("multipart_uploads").where("id", .equal, id).first().map(Records.upload)
        }
    }

    public func uploads(bucket: String, prefix: String, limit: Int) async throws -> [MultipartUpload] {
        guard limit > 0 else { return [] }
        return try await read("listing multipart uploads") { database in
            let select = database.select().column("*").from("multipart_uploads").where("bucket", .equal, bucket)
            if !prefix.isEmpty {
                select.where("key", .greaterThanOrEqual, prefix)
                if let upperBound = KeyRange.upperBound(ofPrefix: prefix) { select.where("key", .lessThan, upperBound) }
            }
            return try await select.orderBy("key").orderBy("initiated").orderBy("id").limit(limit).all().map(Records.upload)
        }
    }

    @discardableResult
    public func putPart(_ part: UploadedPart) async throws -> UploadedPart? {
        try await write("storing a part", missingParent: Self.noSuchUpload()) { database in
            let replaced = try await database.select().column("*").from("multipart_parts")
                .where("upload_id", .equal, part.uploadId).where("part_number", .equal, part.number)
                .first().map(Records.part)
            try await database.insert(into: "multipart_parts")
                .columns("upload_id", "part_number", "etag", "blob_key", "blob_size", "last_modified")
                .values(part.uploadId, part.number, part.etag, part.blob.key, part.blob.size, part.lastModified.epochMilliseconds)
                .onConflict(with: ["upload_id", "part_number"]) { update in
                    update.set(excludedValueOf: "etag").set(excludedValueOf: "blob_key").set(excludedValueOf: "blob_size")
                        .set(excludedValueOf: "last_modified")
                }
                .run()
            return replaced
        }
    }

    public func parts(uploadId: String, after: Int, limit: Int) async throws -> [UploadedPart] {
        guard limit > 0 else { return [] }
        return try await read("listing parts") { database in
            try await database.select().column("*").from("multipart_parts")
                .where("upload_id", .equal, uploadId).where("part_number", .greaterThan, after)
                .orderBy("part_number").limit(limit)
                .all().map(Records.part)
        }
    }

    public func completeUpload(id: String, object: ObjectRecord, event: NewEvent?) async throws -> CompletedUpload {
        try await write("completing a multipart upload", missingParent: Self.noSuchBucket(object.bucket)) { database in
            let parts = try await Self.removeUpload(id: id, on: database)
            let replaced = try await Self.object(bucket: object.bucket, key: object.key, on: database)
            try await Self.upsert(object, on: database)
            if let event { try await self.insertEvent(event, on: database) }
            let used = Set(object.blobs.map(\.key))
            return CompletedUpload(replaced: replaced, unusedParts: parts.filter { !used.contains($0.blob.key) })
        }
    }

    public func abortUpload(id: String) async throws -> [UploadedPart] {
        try await write("aborting a multipart upload") { database in
            try await Self.removeUpload(id: id, on: database)
        }
    }

    // MARK: Shared statements

    static func noSuchUpload() -> OspreyError {
        OspreyError(
            .noSuchUpload,
            "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been "
                + "aborted or completed."
        )
    }

    /// Deletes the upload and its parts, returning the parts by number. Throws `.noSuchUpload`.
    ///
    /// The upload row is locked first (PostgreSQL), so a concurrent `putPart` either commits before and is returned here,
    /// or fails afterwards on its foreign key.
    private static func removeUpload(id: String, on database: any SQLDatabase) async throws -> [UploadedPart] {
        let found = try await database.select().column("id").from("multipart_uploads").where("id", .equal, id).for(.update).first()
        guard found != nil else { throw noSuchUpload() }
        let parts = try await database.delete(from: "multipart_parts").where("upload_id", .equal, id).returning("*").all()
            .map(Records.part)
        try await database.delete(from: "multipart_uploads").where("id", .equal, id).run()
        return parts.sorted { $0.number < $1.number }
    }
}
