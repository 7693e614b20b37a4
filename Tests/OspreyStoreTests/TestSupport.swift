import Foundation
import Logging
import OspreyCore
import Testing

@testable import OspreyStore

/// A database the shared suite runs against.
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// The administrative URL of the test PostgreSQL server, when the environment names one.
    static var postgresAdminURL: String? {
        guard let url = ProcessInfo.processInfo.environment["OSPREY_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// SQLite always; PostgreSQL when `OSPREY_TEST_POSTGRES_URL` is set.
    static let all: [Backend] = postgresAdminURL == nil ? [.sqlite] : [.sqlite, .postgres]
}

let testLogger: Logger = {
    var logger = Logger(label: "osprey.store.tests")
    logger.logLevel = .warning
    return logger
}()

/// Runs `body` with the URL of a fresh, empty database, removed afterwards.
///
/// SQLite: a file in a new temporary folder. PostgreSQL: a uniquely named database created through the admin URL.
func withFreshDatabase<T>(_ backend: Backend, _ body: (String) async throws -> T) async throws -> T {
    switch backend {
    case .sqlite:
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body("sqlite:" + folder.appendingPathComponent("metadata.db").path)
    case .postgres:
        let adminURL = try #require(Backend.postgresAdminURL)
        guard case .postgres(let admin) = try StoreURL.parse(adminURL) else {
            throw OspreyError(.validation, "OSPREY_TEST_POSTGRES_URL is not a postgres:// URL")
        }
        let name = "osprey_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        let administration = try await PostgresBackend.connect(admin, logger: testLogger)
        do {
            try await administration.execute(["CREATE DATABASE \(name)"])
            let location = admin
            let user = location.username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? ""
            let password = (location.password ?? "").addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? ""
            let url = "postgres://\(user):\(password)@\(location.host):\(location.port)/\(name)?sslmode=\(location.tls.rawValue)"
            let result: Result<T, any Error>
            do {
                result = .success(try await body(url))
            } catch {
                result = .failure(error)
            }
            // Best effort: FORCE cannot end a superuser's session on the database (autovacuum), and a leftover
            // scratch database harms nothing; the test's own outcome is what counts.
            for attempt in 1...3 {
                do {
                    try await administration.execute(["DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
                    break
                } catch where attempt < 3 {
                    try? await Task.sleep(for: .milliseconds(300))
                } catch {
                    testLogger.warning("Could not drop the scratch database \(name): \(String(reflecting: error))")
                }
            }
            await administration.close()
            return try result.get()
        } catch {
            await administration.close()
            throw error
        }
    }
}

/// Runs `body` with a store opened on a fresh database, and closes it afterwards.
func withStore(_ backend: Backend, _ body: (SQLMetadataStore) async throws -> Void) async throws {
    try await withFreshDatabase(backend) { url in
        let store = try await SQLMetadataStore.open(url: url, logger: testLogger)
        do {
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}

/// Awaits `body`, which must throw an `OspreyError` with `code`.
func expectError(
    _ code: OspreyError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("Expected \(code), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as OspreyError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("Expected OspreyError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

// MARK: Fixtures

let account = "111111111111"
let otherAccount = "222222222222"

/// A time with millisecond precision, as the store keeps it.
func time(_ offset: Int64 = 0) -> Date { Date(epochMilliseconds: 1_760_000_000_123 + offset) }

func event(_ type: String, account: String = account, resource: String = "r", at offset: Int64 = 0) -> NewEvent {
    NewEvent(type: type, accountId: account, resource: resource, detail: #"{"k":"v"}"#, time: time(offset))
}

func bucket(_ name: String, account: String = account) -> Bucket {
    Bucket(name: name, accountId: account, region: "us-east-1", createdAt: time())
}

func object(_ bucket: String, _ key: String, etag: String = "d41d8cd98f00b204e9800998ecf8427e", blobs: [String]? = nil) -> ObjectRecord {
    let refs = (blobs ?? ["blob/\(bucket)/\(key)"]).map { BlobRef(key: $0, size: 3) }
    return ObjectRecord(
        bucket: bucket, key: key, size: Int64(refs.count * 3), etag: etag, contentType: "text/plain",
        metadata: ["color": "blue", "ünïcode": "välue"], lastModified: time(5), blobs: refs
    )
}

func part(_ uploadId: String, _ number: Int, etag: String = "e") -> UploadedPart {
    let blob = BlobRef(key: "part/\(uploadId)/\(number)/\(etag)", size: 5)
    return UploadedPart(uploadId: uploadId, number: number, etag: etag, blob: blob, lastModified: time(7))
}

func upload(_ id: String, bucket: String, key: String, at offset: Int64 = 0) -> MultipartUpload {
    MultipartUpload(id: id, bucket: bucket, key: key, contentType: "application/octet-stream", metadata: ["a": "b"], initiated: time(offset))
}

/// Keys sorted as S3 sorts them: by their UTF-8 bytes.
func byteOrdered(_ keys: [String]) -> [String] {
    keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
}
