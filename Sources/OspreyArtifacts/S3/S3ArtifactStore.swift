public import AsyncHTTPClient
import Foundation
public import NIOCore
import OspreyCore

/// An artifact store in an S3 bucket (Osprey's own, AWS, MinIO, …): each key is the object `<prefix>/<key>`.
///
/// Writes are single streamed PUTs, so a key holds its old or its whole new content, never a part (S3's atomicity).
/// The bucket must exist; the store never creates it. Reads stream with back-pressure and ranges use HTTP `Range`.
public struct S3ArtifactStore: ArtifactStore {
    /// The client every call goes through.
    public let client: S3Client
    /// The bucket holding the artifacts.
    public let bucket: String
    /// The key prefix (without trailing `/`) under which artifacts live; empty for the whole bucket.
    public let prefix: String

    /// A store for `s3://bucket/prefix?endpoint=http://host:port&region=us-east-1`.
    ///
    /// Query parameters: `endpoint`, `region`, `access_key_id`, `secret_access_key`, `session_token`; each missing one comes
    /// from the environment (`AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`, `AWS_REGION`/`AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then defaults (`us-east-1`, AWS's endpoint for the region).
    /// Throws `.validation` for a malformed URL or missing credentials. Makes no request.
    public init(url: String, httpClient: HTTPClient = .shared) throws {
        try self.init(url: url, httpClient: httpClient, environment: ProcessInfo.processInfo.environment)
    }

    /// As `init(url:httpClient:)`, reading `environment` instead of the process's.
    public init(url: String, httpClient: HTTPClient = .shared, environment: [String: String]) throws {
        let location = try S3StoreLocation(url: url, environment: environment)
        let client = S3Client(
            endpoint: location.endpoint, region: location.region, accessKeyId: location.accessKeyId,
            secretAccessKey: location.secretAccessKey, sessionToken: location.sessionToken, httpClient: httpClient
        )
        try self.init(client: client, bucket: location.bucket, prefix: location.prefix)
    }

    /// A store over `client` in `bucket` under `prefix` (`/`-separated segments, may be empty).
    public init(client: S3Client, bucket: String, prefix: String = "") throws {
        _ = try client.target.get()
        let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        if !trimmed.isEmpty { _ = try ArtifactKey.segments(of: trimmed) }
        self.client = client
        self.bucket = bucket
        self.prefix = trimmed
    }

    /// The object key of the artifact `key`, which must pass `ArtifactKey.segments(of:)`.
    func objectKey(_ key: String) throws -> String {
        _ = try ArtifactKey.segments(of: key)
        return prefix.isEmpty ? key : prefix + "/" + key
    }

    public func write<Body: AsyncSequence & Sendable>(_ key: String, length: Int64?, from body: Body) async throws -> Int64
    where Body.Element == ByteBuffer {
        try await client.upload(bucket: bucket, key: try objectKey(key), contentType: nil, length: length, body: body).bytes
    }

    public func read(_ key: String, range: Range<Int64>?, into consume: (ByteBuffer) async throws -> Void) async throws {
        let object = try objectKey(key)
        do {
            if let range, range.isEmpty {
                // Nothing to read, but a missing key must still be reported.
                guard try await client.headObject(bucket: bucket, key: object) != nil else { throw Self.notFound(key) }
                return
            }
            try await client.getObject(bucket: bucket, key: object, range: range, into: consume)
        } catch let error as OspreyError where error.code == .noSuchKey {
            throw Self.notFound(key)
        } catch let error as OspreyError where error.code == .invalidRange {
            // The object exists but the range starts at or past its end: like a file, that reads nothing.
            return
        }
    }

    public func copy(_ source: String, to target: String) async throws {
        let from = try objectKey(source)
        let to = try objectKey(target)
        do {
            try await client.copyObject(sourceBucket: bucket, sourceKey: from, bucket: bucket, key: to)
        } catch let error as OspreyError where error.code == .noSuchKey {
            throw Self.notFound(source)
        }
    }

    public func delete(_ key: String) async throws {
        try await client.deleteObject(bucket: bucket, key: try objectKey(key))
    }

    public func size(of key: String) async throws -> Int64? {
        try await client.headObject(bucket: bucket, key: try objectKey(key))?.size
    }

    public func keys(prefix: String) async throws -> [String] {
        let base = self.prefix.isEmpty ? "" : self.prefix + "/"
        let listing = try await client.listObjects(bucket: bucket, prefix: base + prefix, delimiter: nil)
        return listing.objects.map { String($0.key.dropFirst(base.count)) }
    }

    private static func notFound(_ key: String) -> OspreyError {
        OspreyError(.notFound, "Artifact '\(key)' does not exist.")
    }
}
