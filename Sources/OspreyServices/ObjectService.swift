import Crypto
import Foundation
public import NIOCore
public import OspreyArtifacts
public import OspreyCore

/// The S3 namespace: buckets, objects and multipart uploads, with content in an `ArtifactStore`.
///
/// An object is committed when its metadata row is: content is written first under a fresh blob key, so a crash
/// or a failed upload leaves at most an unreferenced blob (removed by `collectGarbage`), never a partial object.
public struct ObjectService: Sendable {
    public static let maxSinglePutSize: Int64 = 5 << 30
    public static let minPartSize: Int64 = 5 << 20
    public static let maxPartNumber = 10_000

    let store: any MetadataStore
    let blobs: any ArtifactStore
    let clock: any WallClock
    let ids: any IDGenerator
    let deployment: Deployment

    public init(store: any MetadataStore, blobs: any ArtifactStore, clock: any WallClock, ids: any IDGenerator, deployment: Deployment) {
        self.store = store
        self.blobs = blobs
        self.clock = clock
        self.ids = ids
        self.deployment = deployment
    }

    // MARK: Buckets

    public func createBucket(_ name: String, accountId: String) async throws -> Bucket {
        try Names.validateBucket(name)
        let bucket = Bucket(name: name, accountId: accountId, region: deployment.region, createdAt: clock.now())
        try await store.createBucket(bucket, event: event("BucketCreated", accountId: accountId, bucket: name))
        return bucket
    }

    /// The bucket, if the account may use it. Throws `.noSuchBucket` or `.accessDenied`.
    public func bucket(_ name: String, accountId: String) async throws -> Bucket {
        guard let bucket = try await store.bucket(named: name) else {
            throw OspreyError(.noSuchBucket, "The specified bucket does not exist: \(name)")
        }
        guard bucket.accountId == accountId else { throw OspreyError(.accessDenied, "Access Denied") }
        return bucket
    }

    public func buckets(accountId: String) async throws -> [Bucket] {
        try await store.buckets(accountId: accountId)
    }

    public func deleteBucket(_ name: String, accountId: String) async throws {
        _ = try await bucket(name, accountId: accountId)
        try await store.deleteBucket(named: name, event: event("BucketDeleted", accountId: accountId, bucket: name))
    }

    // MARK: Objects

    /// What a new object's content is about to be.
    public struct NewObject: Sendable {
        public var bucket: String
        public var key: String
        public var contentType: String
        public var metadata: [String: String]
        /// The declared length, when the request has one.
        public var length: Int64?

        public init(bucket: String, key: String, contentType: String?, metadata: [String: String], length: Int64?) {
            self.bucket = bucket
            self.key = key
            self.contentType = contentType ?? "binary/octet-stream"
            self.metadata = metadata
            self.length = length
        }
    }

    /// Stores an object from `body`. If `body` throws (a bad signature or checksum at its end), nothing is stored.
    public func putObject<Body: AsyncSequence & Sendable>(_ new: NewObject, accountId: String, body: Body) async throws -> ObjectRecord
    where Body.Element == ByteBuffer {
        try Names.validateObjectKey(new.key)
        _ = try await bucket(new.bucket, accountId: accountId)
        if let length = new.length, length > Self.maxSinglePutSize {
            throw OspreyError(
                .entityTooLarge,
                "Your proposed upload exceeds the maximum allowed size: \(length) bytes, at most \(Self.maxSinglePutSize) in one PUT."
            )
        }
        let (blob, md5) = try await writeBlob(length: new.length, body: body, limit: Self.maxSinglePutSize)
        let record = ObjectRecord(
            bucket: new.bucket, key: new.key, size: blob.size, etag: hex(md5), contentType: new.contentType,
            metadata: new.metadata, lastModified: clock.now(), blobs: [blob]
        )
        do {
            let replaced = try await store.putObject(record, event: nil)
            await discard(replaced?.blobs ?? [])
        } catch {
            await discard([blob])
            throw error
        }
        return record
    }

    public func object(bucket: String, key: String, accountId: String) async throws -> ObjectRecord {
        _ = try await self.bucket(bucket, accountId: accountId)
        guard let object = try await store.object(bucket: bucket, key: key) else {
            throw OspreyError(.noSuchKey, "The specified key does not exist.")
        }
        return object
    }

    /// Streams the object's bytes in `range` (all when nil) to `consume`.
    public func read(_ object: ObjectRecord, range: Range<Int64>?, into consume: (ByteBuffer) async throws -> Void) async throws {
        let wanted = range ?? 0..<object.size
        var offset: Int64 = 0
        for blob in object.blobs {
            let blobRange = offset..<(offset + blob.size)
            offset += blob.size
            let lower = max(wanted.lowerBound, blobRange.lowerBound)
            let upper = min(wanted.upperBound, blobRange.upperBound)
            guard lower < upper else { continue }
            let local = (lower - blobRange.lowerBound)..<(upper - blobRange.lowerBound)
            try await blobs.read(blob.key, range: local == 0..<blob.size ? nil : local, into: consume)
        }
    }

    /// Deletes the object; deleting a missing key succeeds, as in S3.
    public func deleteObject(bucket: String, key: String, accountId: String) async throws {
        _ = try await self.bucket(bucket, accountId: accountId)
        if let removed = try await store.deleteObject(bucket: bucket, key: key, event: nil) {
            await discard(removed.blobs)
        }
    }

    /// Copies an object. `replacing` gives the new content type and metadata (REPLACE directive); nil copies them.
    public func copyObject(
        from source: (bucket: String, key: String), to target: (bucket: String, key: String),
        replacing: (contentType: String?, metadata: [String: String])?, accountId: String
    ) async throws -> ObjectRecord {
        try Names.validateObjectKey(target.key)
        let original = try await object(bucket: source.bucket, key: source.key, accountId: accountId)
        _ = try await bucket(target.bucket, accountId: accountId)
        if source == target && replacing == nil {
            throw OspreyError(
                .invalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata."
            )
        }
        var copies: [BlobRef] = []
        do {
            for blob in original.blobs {
                let copy = BlobRef(key: newBlobKey(), size: blob.size)
                try await blobs.copy(blob.key, to: copy.key)
                copies.append(copy)
            }
            var record = original
            record.bucket = target.bucket
            record.key = target.key
            record.blobs = copies
            record.lastModified = clock.now()
            if let replacing {
                record.contentType = replacing.contentType ?? "binary/octet-stream"
                record.metadata = replacing.metadata
            }
            let replaced = try await store.putObject(record, event: nil)
            await discard(replaced?.blobs ?? [])
            return record
        } catch {
            await discard(copies)
            throw error
        }
    }

    // MARK: Listing

    /// One page of a listing.
    public struct Listing: Sendable {
        public var objects: [ObjectRecord] = []
        public var commonPrefixes: [String] = []
        public var isTruncated = false
        /// Where the next page starts (exclusive), when truncated.
        public var next: String?
    }

    /// Lists keys after `after` (exclusive) starting with `prefix`, rolling keys up to `delimiter` into common prefixes.
    public func list(bucket: String, prefix: String, delimiter: String?, after: String?, maxKeys: Int, accountId: String) async throws
        -> Listing
    {
        _ = try await self.bucket(bucket, accountId: accountId)
        var listing = Listing()
        guard maxKeys > 0 else { return listing }
        var cursor = after
        let delimiter = delimiter.flatMap { $0.isEmpty ? nil : $0 }
        while true {
            let page = try await store.listObjects(
                ObjectListQuery(bucket: bucket, prefix: prefix, after: cursor, limit: min(1000, maxKeys + 1))
            )
            if page.isEmpty { return listing }
            for object in page {
                var rolledUp: String?
                if let delimiter, let range = object.key.dropFirst(prefix.count).range(of: delimiter) {
                    rolledUp = String(object.key[..<range.upperBound])
                }
                if listing.objects.count + listing.commonPrefixes.count == maxKeys {
                    listing.isTruncated = true
                    listing.next = cursor
                    return listing
                }
                if let rolledUp {
                    listing.commonPrefixes.append(rolledUp)
                    // Skip every key under this prefix: U+10FFFF sorts after any UTF-8 continuation.
                    cursor = rolledUp + "\u{10FFFF}"
                    break
                }
                listing.objects.append(object)
                cursor = object.key
            }
        }
    }

    // MARK: Multipart uploads

    public func createUpload(_ new: NewObject, accountId: String) async throws -> MultipartUpload {
        try Names.validateObjectKey(new.key)
        _ = try await bucket(new.bucket, accountId: accountId)
        let upload = MultipartUpload(
            id: ids.hex(bytes: 24), bucket: new.bucket, key: new.key, contentType: new.contentType, metadata: new.metadata,
            initiated: clock.now()
        )
        try await store.createUpload(upload)
        return upload
    }

    /// The upload, checked against the bucket and key the request names. Throws `.noSuchUpload`.
    public func upload(_ id: String, bucket: String, key: String, accountId: String) async throws -> MultipartUpload {
        _ = try await self.bucket(bucket, accountId: accountId)
        guard let upload = try await store.upload(id: id), upload.bucket == bucket, upload.key == key else {
            throw OspreyError(
                .noSuchUpload,
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
            )
        }
        return upload
    }

    public func uploadPart<Body: AsyncSequence & Sendable>(
        uploadId: String, bucket: String, key: String, number: Int, length: Int64?, accountId: String, body: Body
    ) async throws -> UploadedPart where Body.Element == ByteBuffer {
        guard (1...Self.maxPartNumber).contains(number) else {
            throw OspreyError(.invalidArgument, "Part number must be an integer between 1 and 10000, inclusive.")
        }
        _ = try await upload(uploadId, bucket: bucket, key: key, accountId: accountId)
        let (blob, md5) = try await writeBlob(length: length, body: body, limit: Self.maxSinglePutSize)
        let part = UploadedPart(uploadId: uploadId, number: number, etag: hex(md5), blob: blob, lastModified: clock.now())
        do {
            if let replaced = try await store.putPart(part) { await discard([replaced.blob]) }
        } catch {
            await discard([blob])
            throw error
        }
        return part
    }

    public func parts(uploadId: String, bucket: String, key: String, after: Int, limit: Int, accountId: String) async throws -> [UploadedPart] {
        _ = try await upload(uploadId, bucket: bucket, key: key, accountId: accountId)
        return try await store.parts(uploadId: uploadId, after: after, limit: limit)
    }

    public func uploads(bucket: String, prefix: String, limit: Int, accountId: String) async throws -> [MultipartUpload] {
        _ = try await self.bucket(bucket, accountId: accountId)
        return try await store.uploads(bucket: bucket, prefix: prefix, limit: limit)
    }

    /// Completes an upload from the listed parts (number and ETag, ascending), as S3 checks them.
    public func completeUpload(
        uploadId: String, bucket: String, key: String, parts requested: [(number: Int, etag: String)], accountId: String
    ) async throws -> ObjectRecord {
        let upload = try await upload(uploadId, bucket: bucket, key: key, accountId: accountId)
        guard !requested.isEmpty else {
            throw OspreyError(.malformedXML, "The XML you provided was not well-formed or did not validate against our published schema.")
        }
        var stored: [Int: UploadedPart] = [:]
        var after = 0
        while true {
            let page = try await store.parts(uploadId: uploadId, after: after, limit: 1000)
            for part in page { stored[part.number] = part }
            guard let last = page.last else { break }
            after = last.number
        }
        var chosen: [UploadedPart] = []
        for (index, item) in requested.enumerated() {
            if index > 0 && item.number <= requested[index - 1].number {
                throw OspreyError(.invalidPartOrder, "The list of parts was not in ascending order. Parts must be ordered by part number.")
            }
            let etag = item.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            guard let part = stored[item.number], part.etag == etag else {
                throw OspreyError(
                    .invalidPart,
                    "One or more of the specified parts could not be found. The part may not have been uploaded, "
                        + "or the specified entity tag may not match the part's entity tag (part \(item.number))."
                )
            }
            chosen.append(part)
        }
        for part in chosen.dropLast() where part.blob.size < Self.minPartSize {
            throw OspreyError(
                .entityTooSmall,
                "Your proposed upload is smaller than the minimum allowed size: part \(part.number) is \(part.blob.size) bytes, "
                    + "every part but the last must be at least \(Self.minPartSize)."
            )
        }
        var digests: [UInt8] = []
        for part in chosen { digests += bytes(fromHex: part.etag) }
        let record = ObjectRecord(
            bucket: bucket, key: key, size: chosen.reduce(0) { $0 + $1.blob.size },
            etag: hex(Insecure.MD5.hash(data: digests)) + "-\(chosen.count)", contentType: upload.contentType,
            metadata: upload.metadata, lastModified: clock.now(), blobs: chosen.map(\.blob)
        )
        let completed = try await store.completeUpload(id: uploadId, object: record, event: nil)
        await discard((completed.replaced?.blobs ?? []) + completed.unusedParts.map(\.blob))
        return record
    }

    public func abortUpload(uploadId: String, bucket: String, key: String, accountId: String) async throws {
        _ = try await upload(uploadId, bucket: bucket, key: key, accountId: accountId)
        let parts = try await store.abortUpload(id: uploadId)
        await discard(parts.map(\.blob))
    }

    // MARK: Blobs

    /// Removes blobs no record references (left by a crash between writing content and committing its row).
    public func collectGarbage() async throws -> Int {
        let referenced = try await store.referencedBlobKeys()
        var removed = 0
        for key in try await blobs.keys(prefix: Self.blobPrefix) where !referenced.contains(key) {
            try await blobs.delete(key)
            removed += 1
        }
        return removed
    }

    static let blobPrefix = "objects/"

    func newBlobKey() -> String {
        let id = ids.hex(bytes: 16)
        return Self.blobPrefix + id.prefix(2) + "/" + id
    }

    private func writeBlob<Body: AsyncSequence & Sendable>(length: Int64?, body: Body, limit: Int64) async throws -> (BlobRef, [UInt8])
    where Body.Element == ByteBuffer {
        let key = newBlobKey()
        let digest = BodyDigest()
        let size = try await blobs.write(key, length: length, from: DigestingSequence(body, digest: digest, limit: limit))
        let (md5, _) = digest.finalize()
        if let length, length != size {
            try? await blobs.delete(key)
            throw OspreyError(.invalidRequest, "The body had \(size) bytes but Content-Length said \(length).")
        }
        return (BlobRef(key: key, size: size), md5)
    }

    private func discard(_ refs: [BlobRef]) async {
        for ref in refs { try? await blobs.delete(ref.key) }
    }

    private func event(_ kind: String, accountId: String, bucket: String) -> NewEvent {
        let arn = "arn:aws:s3:::\(bucket)"
        return NewEvent(
            type: "osprey.s3.\(kind)", accountId: accountId, resource: arn, detail: #"{"bucket":"\#(bucket)"}"#, time: clock.now()
        )
    }
}

func bytes(fromHex text: String) -> [UInt8] {
    var out: [UInt8] = []
    var high: UInt8?
    for char in text.utf8 {
        let value: UInt8
        switch char {
        case 0x30...0x39: value = char - 0x30
        case 0x61...0x66: value = char - 0x61 + 10
        case 0x41...0x46: value = char - 0x41 + 10
        default: continue
        }
        if let h = high {
            out.append(h << 4 | value)
            high = nil
        } else {
            high = value
        }
    }
    return out
}
