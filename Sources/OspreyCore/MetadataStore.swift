import Foundation

/// The metadata store: every record Osprey keeps, behind one port with SQLite and PostgreSQL implementations.
///
/// Each mutating call is one transaction; calls that take a `NewEvent` write it to the outbox in that same
/// transaction. Rows are scoped by account where the record has one.
public typealias MetadataStore = AccessKeyStore & ObjectMetadataStore & EventStore & WebhookStore & StoreHealth & TrainingJobStore & LogStore
    & SecretStore & ImageMappingStore & TrainingMetricStore & ServingStore & TransformJobStore & AutoScalingStore

/// Tells whether the store answers.
public protocol StoreHealth: Sendable {
    /// Throws when the database cannot be reached.
    func ping() async throws
}

/// Access keys.
public protocol AccessKeyStore: Sendable {
    /// Throws `.alreadyExists` when the id is taken.
    func insertAccessKey(_ key: StoredAccessKey) async throws
    func accessKey(id: String) async throws -> StoredAccessKey?
    /// The key whose `secretDigest` is this (unique).
    func accessKey(secretDigest: String) async throws -> StoredAccessKey?
    /// All keys of an account, ordered by creation time.
    func accessKeys(accountId: String) async throws -> [StoredAccessKey]
    /// Returns false when no such key exists in the account.
    func deleteAccessKey(id: String, accountId: String) async throws -> Bool
}

/// Which objects a listing returns, in UTF-8 byte order of their keys.
public struct ObjectListQuery: Sendable, Hashable {
    public var bucket: String
    /// Only keys starting with this.
    public var prefix: String
    /// Only keys strictly greater than this (byte order).
    public var after: String?
    public var limit: Int

    public init(bucket: String, prefix: String = "", after: String? = nil, limit: Int) {
        self.bucket = bucket
        self.prefix = prefix
        self.after = after
        self.limit = limit
    }
}

/// The result of completing a multipart upload.
public struct CompletedUpload: Sendable {
    /// The object the completion replaced, if any: its blobs are now unreferenced.
    public var replaced: ObjectRecord?
    /// Parts uploaded but not used by the completion: their blobs are now unreferenced.
    public var unusedParts: [UploadedPart]

    public init(replaced: ObjectRecord?, unusedParts: [UploadedPart]) {
        self.replaced = replaced
        self.unusedParts = unusedParts
    }
}

/// Buckets, objects and multipart uploads (the S3 namespace). Blob content lives in the artifact store.
public protocol ObjectMetadataStore: Sendable {
    /// Throws `.bucketAlreadyOwnedByYou` (same account) or `.bucketAlreadyExists` (another account) when the name is taken.
    func createBucket(_ bucket: Bucket, event: NewEvent) async throws
    func bucket(named name: String) async throws -> Bucket?
    /// Buckets of an account, ordered by name.
    func buckets(accountId: String) async throws -> [Bucket]
    /// Throws `.noSuchBucket` when absent, `.bucketNotEmpty` when it holds objects or uploads.
    func deleteBucket(named name: String, event: NewEvent) async throws

    /// Inserts or replaces the object at (bucket, key); returns the replaced record. Throws `.noSuchBucket`.
    @discardableResult
    func putObject(_ object: ObjectRecord, event: NewEvent?) async throws -> ObjectRecord?
    func object(bucket: String, key: String) async throws -> ObjectRecord?
    /// Removes the object; returns what was removed, nil when there was none.
    func deleteObject(bucket: String, key: String, event: NewEvent?) async throws -> ObjectRecord?
    func listObjects(_ query: ObjectListQuery) async throws -> [ObjectRecord]

    /// Throws `.noSuchBucket`.
    func createUpload(_ upload: MultipartUpload) async throws
    func upload(id: String) async throws -> MultipartUpload?
    /// Uploads of a bucket ordered by (key, initiated), keys starting with `prefix`, at most `limit`.
    func uploads(bucket: String, prefix: String, limit: Int) async throws -> [MultipartUpload]
    /// Records a part, replacing one with the same number; returns the replaced part. Throws `.noSuchUpload`.
    @discardableResult
    func putPart(_ part: UploadedPart) async throws -> UploadedPart?
    /// Parts ordered by number, numbers greater than `after`, at most `limit`.
    func parts(uploadId: String, after: Int, limit: Int) async throws -> [UploadedPart]
    /// Atomically removes the upload and its parts and stores `object`, whose blobs are parts' blobs.
    /// Throws `.noSuchUpload` when the upload is gone.
    func completeUpload(id: String, object: ObjectRecord, event: NewEvent?) async throws -> CompletedUpload
    /// Removes the upload; returns its parts. Throws `.noSuchUpload`.
    func abortUpload(id: String) async throws -> [UploadedPart]

    /// Every blob key the store references (objects and parts), for cleaning up blobs left by a crash.
    func referencedBlobKeys() async throws -> Set<String>
}

/// The durable outbox of state changes.
public protocol EventStore: Sendable {
    /// Records an event on its own (for changes that have no other row to write).
    func appendEvent(_ event: NewEvent) async throws
    /// Events with sequence greater than `after`, ascending, at most `limit`; all accounts when `accountId` is nil.
    func events(after: Int64, accountId: String?, limit: Int) async throws -> [StoredEvent]
}

/// Webhook subscriptions and their delivery cursors.
public protocol WebhookStore: Sendable {
    func insertWebhook(_ webhook: Webhook) async throws
    func webhooks(accountId: String?) async throws -> [Webhook]
    func deleteWebhook(id: String, accountId: String) async throws -> Bool
    /// Moves a webhook's cursor forward (never back).
    func advanceWebhook(id: String, cursor: Int64) async throws
}
