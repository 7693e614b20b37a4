import Foundation

/// An access key as the store keeps it: the secret sealed with the server's master key.
public struct StoredAccessKey: Sendable, Hashable {
    public var id: String
    public var accountId: String
    /// The secret access key, sealed (AES-GCM combined form). Only `AccessKeyService` opens it.
    public var sealedSecret: [UInt8]
    /// A keyed digest of the secret (hex HMAC-SHA256 under the master key): finds the key of a bearer token.
    public var secretDigest: String
    public var isAdmin: Bool
    public var description: String
    public var createdAt: Date

    public init(
        id: String, accountId: String, sealedSecret: [UInt8], secretDigest: String, isAdmin: Bool, description: String, createdAt: Date
    ) {
        self.id = id
        self.accountId = accountId
        self.sealedSecret = sealedSecret
        self.secretDigest = secretDigest
        self.isAdmin = isAdmin
        self.description = description
        self.createdAt = createdAt
    }
}

/// An S3 bucket. Names are global; each bucket belongs to one account.
public struct Bucket: Sendable, Hashable {
    public var name: String
    public var accountId: String
    public var region: String
    public var createdAt: Date

    public init(name: String, accountId: String, region: String, createdAt: Date) {
        self.name = name
        self.accountId = accountId
        self.region = region
        self.createdAt = createdAt
    }
}

/// One stored blob of an object's content in the artifact store.
public struct BlobRef: Sendable, Hashable, Codable {
    /// The artifact-store key of the blob.
    public var key: String
    public var size: Int64

    public init(key: String, size: Int64) {
        self.key = key
        self.size = size
    }
}

/// An S3 object's metadata. Its content is `blobs` read in order (one blob, or one per multipart part).
public struct ObjectRecord: Sendable, Hashable {
    public var bucket: String
    public var key: String
    public var size: Int64
    /// The ETag without quotes: hex MD5, or `hex-N` for a multipart object.
    public var etag: String
    public var contentType: String
    /// User metadata (`x-amz-meta-*`), names lowercased without the prefix.
    public var metadata: [String: String]
    public var lastModified: Date
    public var blobs: [BlobRef]

    public init(
        bucket: String, key: String, size: Int64, etag: String, contentType: String, metadata: [String: String], lastModified: Date,
        blobs: [BlobRef]
    ) {
        self.bucket = bucket
        self.key = key
        self.size = size
        self.etag = etag
        self.contentType = contentType
        self.metadata = metadata
        self.lastModified = lastModified
        self.blobs = blobs
    }
}

/// A multipart upload in progress.
public struct MultipartUpload: Sendable, Hashable {
    public var id: String
    public var bucket: String
    public var key: String
    public var contentType: String
    public var metadata: [String: String]
    public var initiated: Date

    public init(id: String, bucket: String, key: String, contentType: String, metadata: [String: String], initiated: Date) {
        self.id = id
        self.bucket = bucket
        self.key = key
        self.contentType = contentType
        self.metadata = metadata
        self.initiated = initiated
    }
}

/// One uploaded part of a multipart upload.
public struct UploadedPart: Sendable, Hashable {
    public var uploadId: String
    public var number: Int
    /// Hex MD5 of the part's bytes, without quotes.
    public var etag: String
    public var blob: BlobRef
    public var lastModified: Date

    public init(uploadId: String, number: Int, etag: String, blob: BlobRef, lastModified: Date) {
        self.uploadId = uploadId
        self.number = number
        self.etag = etag
        self.blob = blob
        self.lastModified = lastModified
    }
}

/// A state change to record in the outbox, in the same transaction as the change itself.
public struct NewEvent: Sendable, Hashable {
    /// For example `osprey.s3.BucketCreated` or `SageMaker Training Job State Change`.
    public var type: String
    public var accountId: String
    /// The resource's ARN or name.
    public var resource: String
    /// The event's detail as a JSON object text.
    public var detail: String
    public var time: Date

    public init(type: String, accountId: String, resource: String, detail: String, time: Date) {
        self.type = type
        self.accountId = accountId
        self.resource = resource
        self.detail = detail
        self.time = time
    }
}

/// An event as stored: its sequence number orders all events and resumes streams.
public struct StoredEvent: Sendable, Hashable {
    public var sequence: Int64
    public var event: NewEvent

    public init(sequence: Int64, event: NewEvent) {
        self.sequence = sequence
        self.event = event
    }
}

/// A webhook subscription: events of `eventTypes` (all when empty) are POSTed to `url`, signed with `sealedSecret`.
public struct Webhook: Sendable, Hashable {
    public var id: String
    public var accountId: String
    public var url: String
    public var eventTypes: [String]
    /// The HMAC secret, sealed with the master key.
    public var sealedSecret: [UInt8]
    /// The sequence number of the last event delivered (or skipped as not matching).
    public var cursor: Int64
    public var createdAt: Date

    public init(id: String, accountId: String, url: String, eventTypes: [String], sealedSecret: [UInt8], cursor: Int64, createdAt: Date) {
        self.id = id
        self.accountId = accountId
        self.url = url
        self.eventTypes = eventTypes
        self.sealedSecret = sealedSecret
        self.cursor = cursor
        self.createdAt = createdAt
    }
}
