import Foundation
import Testing
import SQLKit
@testable import OspreyStore

@Test(.enabled(if: ProcessInfo.processInfo.environment["OSPREY_STORE_PROFILE"] != nil))
func tmpProfile() async throws {
    try await withStore(.sqlite) { store in
        try await store.createBucket(bucket("bench"), event: event("BucketCreated"))
        let clock = ContinuousClock()
        let n = 2000
        struct Rollback: Error {}
        for _ in 0..<2 {
        let builder = try await clock.measure { for i in 0..<n { _ = try? await store.backend.transaction { db in try await SQLMetadataStore.upsert(object("bench", "k\(i)"), on: db); throw Rollback() } } }
        let raw = try await clock.measure { for i in 0..<n { _ = try? await store.backend.transaction { db in
            try await db.raw("INSERT INTO objects (bucket, \"key\", size, etag, content_type, metadata, last_modified, blobs) VALUES (\(bind: "bench"), \(bind: "k\(i)"), \(bind: 3), \(bind: "e"), \(bind: "c"), \(bind: "{}"), \(bind: 5), \(bind: "[]"))").run()
            throw Rollback() } } }
        let nothing = try await clock.measure { for _ in 0..<n { _ = try? await store.backend.transaction { db in throw Rollback() } } }
        let serializeOnly = try await store.backend.read { db in
            clock.measure { for i in 0..<n {
                let q = db.insert(into: "objects").columns("bucket", "key", "size", "etag", "content_type", "metadata", "last_modified", "blobs")
                    .values("bench", "k\(i)", 3, "e", "c", "{}", 5, "[]").onConflict(with: ["bucket", "key"]) { $0.set(excludedValueOf: "size") }
                _ = db.serialize(q.query)
            } }
        }
        print("builder \(builder / n), raw \(raw / n), nothing \(nothing / n), serialize \(serializeOnly / n)")
        }
    }
}
