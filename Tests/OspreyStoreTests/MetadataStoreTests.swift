import Foundation
import OspreyCore
import Testing

@testable import OspreyStore

/// The port's behaviour, run against every backend in `Backend.all`.
@Suite("MetadataStore")
struct MetadataStoreTests {
    @Test(arguments: Backend.all)
    func accessKeys(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let first = StoredAccessKey(
                id: "AKIAFIRST", accountId: account, sealedSecret: [0, 1, 2, 255], secretDigest: "digest-1", isAdmin: true,
                description: "first", createdAt: time(10)
            )
            let second = StoredAccessKey(
                id: "AKIASECOND", accountId: account, sealedSecret: [9], secretDigest: "digest-2", isAdmin: false,
                description: "", createdAt: time(5)
            )
            try await store.insertAccessKey(first)
            try await store.insertAccessKey(second)
            #expect(try await store.accessKey(id: "AKIAFIRST") == first)
            #expect(try await store.accessKey(id: "AKIAMISSING") == nil)
            #expect(try await store.accessKey(secretDigest: "digest-2") == second)
            #expect(try await store.accessKey(secretDigest: "digest-x") == nil)
            #expect(try await store.accessKeys(accountId: account) == [second, first])
            #expect(try await store.accessKeys(accountId: otherAccount).isEmpty)

            var sameId = second
            sameId.secretDigest = "digest-3"
            await expectError(.alreadyExists) { try await store.insertAccessKey(sameId) }
            var sameDigest = second
            sameDigest.id = "AKIATHIRD"
            await expectError(.alreadyExists) { try await store.insertAccessKey(sameDigest) }

            #expect(try await store.deleteAccessKey(id: "AKIAFIRST", accountId: otherAccount) == false)
            #expect(try await store.deleteAccessKey(id: "AKIAFIRST", accountId: account) == true)
            #expect(try await store.deleteAccessKey(id: "AKIAFIRST", accountId: account) == false)
            #expect(try await store.accessKey(id: "AKIAFIRST") == nil)
            try await store.ping()
        }
    }

    @Test(arguments: Backend.all)
    func buckets(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createBucket(bucket("zeta"), event: event("BucketCreated", resource: "zeta"))
            try await store.createBucket(bucket("alpha"), event: event("BucketCreated", resource: "alpha"))
            try await store.createBucket(bucket("theirs", account: otherAccount), event: event("BucketCreated", account: otherAccount))
            await expectError(.bucketAlreadyOwnedByYou) { try await store.createBucket(bucket("alpha"), event: event("Again")) }
            await expectError(.bucketAlreadyExists) {
                try await store.createBucket(bucket("alpha", account: otherAccount), event: event("Again", account: otherAccount))
            }
            #expect(try await store.bucket(named: "alpha") == bucket("alpha"))
            #expect(try await store.bucket(named: "nope") == nil)
            #expect(try await store.buckets(accountId: account).map(\.name) == ["alpha", "zeta"])
            #expect(try await store.buckets(accountId: otherAccount).map(\.name) == ["theirs"])

            try await store.deleteBucket(named: "zeta", event: event("BucketDeleted", resource: "zeta"))
            #expect(try await store.bucket(named: "zeta") == nil)
            await expectError(.noSuchBucket) { try await store.deleteBucket(named: "zeta", event: event("BucketDeleted")) }

            // Only successful changes left events.
            let types = try await store.events(after: 0, accountId: nil, limit: 100).map(\.event.type)
            #expect(types == ["BucketCreated", "BucketCreated", "BucketCreated", "BucketDeleted"])
        }
    }

    @Test(arguments: Backend.all)
    func bucketReadsFollowThisStoresChanges(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createBucket(bucket("cached"), event: event("BucketCreated"))
            #expect(try await store.bucket(named: "cached") == bucket("cached"))
            #expect(try await store.bucket(named: "cached") == bucket("cached"))
            try await store.deleteBucket(named: "cached", event: event("BucketDeleted"))
            #expect(try await store.bucket(named: "cached") == nil)
            try await store.createBucket(bucket("cached", account: otherAccount), event: event("BucketCreated", account: otherAccount))
            #expect(try await store.bucket(named: "cached")?.accountId == otherAccount)
        }
    }

    @Test(arguments: Backend.all)
    func anotherStoresBucketChangesShowWithinASecondOnSQLiteAndAtOnceOnPostgres(_ backend: Backend) async throws {
        try await withFreshDatabase(backend) { url in
            let first = try await SQLMetadataStore.open(url: url, logger: testLogger)
            let second = try await SQLMetadataStore.open(url: url, logger: testLogger)
            do {
                try await first.createBucket(bucket("shared"), event: event("BucketCreated"))
                #expect(try await second.bucket(named: "shared") != nil)
                try await first.deleteBucket(named: "shared", event: event("BucketDeleted"))
                // The other store refuses objects in the deleted bucket at once (foreign key), and forgets it within a second
                // (at once on PostgreSQL, which keeps no bucket cache since several servers may share it).
                await expectError(.noSuchBucket) { try await second.putObject(object("shared", "k"), event: nil) }
                if backend == .postgres { #expect(try await second.bucket(named: "shared") == nil) }
                try await Task.sleep(for: BucketCache.timeToLive + .milliseconds(100))
                #expect(try await second.bucket(named: "shared") == nil)
            } catch {
                await first.close()
                await second.close()
                throw error
            }
            await first.close()
            await second.close()
        }
    }

    @Test(arguments: Backend.all)
    func putObjectReportsTheObjectItReplaces(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createBucket(bucket("b"), event: event("BucketCreated"))
            let first = object("b", "k")
            #expect(try await store.putObject(first, event: nil) == nil)
            var second = first
            second.etag = "second"
            second.blobs = [BlobRef(key: "blobs/zz/second", size: 5)]
            #expect(try await store.putObject(second, event: event("ObjectCreated")) == first)
            #expect(try await store.object(bucket: "b", key: "k") == second)
            var third = second
            third.etag = "third"
            #expect(try await store.putObject(third, event: nil) == second)
            #expect(try await store.object(bucket: "b", key: "k") == third)
            #expect(try await store.deleteObject(bucket: "b", key: "k", event: nil) == third)
            #expect(try await store.deleteObject(bucket: "b", key: "k", event: nil) == nil)
            #expect(try await store.events(after: 0, accountId: nil, limit: 10).map(\.event.type) == ["BucketCreated", "ObjectCreated"])
            await expectError(.noSuchBucket) { try await store.putObject(object("gone", "k"), event: nil) }
        }
    }

    @Test(arguments: Backend.all)
    func deleteBucketRefusesNonEmpty(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createBucket(bucket("full"), event: event("BucketCreated"))
            try await store.putObject(object("full", "k"), event: nil)
            await expectError(.bucketNotEmpty) { try await store.deleteBucket(named: "full", event: event("BucketDeleted")) }
            _ = try await store.deleteObject(bucket: "full", key: "k", event: nil)

            try await store.createUpload(upload("u1", bucket: "full", key: "k"))
            await expectError(.bucketNotEmpty) { try await store.deleteBucket(named: "full", event: event("BucketDeleted")) }
            _ = try await store.abortUpload(id: "u1")

            try await store.deleteBucket(named: "full", event: event("BucketDeleted"))
            let types = try await store.events(after: 0, accountId: account, limit: 10).map(\.event.type)
            #expect(types == ["BucketCreated", "BucketDeleted"])
        }
    }

    @Test(arguments: Backend.all)
    func objects(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createBucket(bucket("b1"), event: event("BucketCreated"))
            let first = object("b1", "dir/file.txt")
            #expect(try await store.putObject(first, event: event("ObjectCreated")) == nil)
            #expect(try await store.object(bucket: "b1", key: "dir/file.txt") == first)
            #expect(try await store.object(bucket: "b1", key: "dir/other") == nil)
            #expect(try await store.object(bucket: "b2", key: "dir/file.txt") == nil)

            var second = object("b1", "dir/file.txt", etag: "abc-2", blobs: ["x1", "x2"])
            second.metadata = [:]
            second.contentType = "application/json"
            #expect(try await store.putObject(second, event: nil) == first)
            #expect(try await store.object(bucket: "b1", key: "dir/file.txt") == second)

            #expect(try await store.deleteObject(bucket: "b1", key: "dir/file.txt", event: event("ObjectRemoved")) == second)
            #expect(try await store.deleteObject(bucket: "b1", key: "dir/file.txt", event: event("ObjectRemoved")) == nil)
            #expect(try await store.object(bucket: "b1", key: "dir/file.txt") == nil)

            let types = try await store.events(after: 0, accountId: account, limit: 10).map(\.event.type)
            #expect(types == ["BucketCreated", "ObjectCreated", "ObjectRemoved"])
        }
    }

    @Test(arguments: Backend.all)
    func failedTransactionLeavesNothing(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            await expectError(.noSuchBucket) { try await store.putObject(object("missing", "k"), event: event("ObjectCreated")) }
            #expect(try await store.object(bucket: "missing", key: "k") == nil)
            #expect(try await store.events(after: 0, accountId: nil, limit: 10).isEmpty)

            await expectError(.noSuchBucket) { try await store.createUpload(upload("u", bucket: "missing", key: "k")) }
            #expect(try await store.upload(id: "u") == nil)

            // A conflict inside a transaction that already wrote nothing else, and one that fails after an insert.
            try await store.createBucket(bucket("b"), event: event("BucketCreated"))
            await expectError(.bucketAlreadyOwnedByYou) { try await store.createBucket(bucket("b"), event: event("Again")) }
            try await store.putObject(object("b", "k"), event: nil)
            await expectError(.bucketNotEmpty) { try await store.deleteBucket(named: "b", event: event("BucketDeleted")) }
            #expect(try await store.bucket(named: "b") != nil)
            #expect(try await store.events(after: 0, accountId: nil, limit: 10).map(\.event.type) == ["BucketCreated"])

            // The store still works after the failures.
            try await store.putObject(object("b", "k2"), event: event("ObjectCreated"))
            #expect(try await store.events(after: 0, accountId: nil, limit: 10).count == 2)
        }
    }

    @Test(arguments: Backend.all)
    func listingOrderPrefixAfterLimit(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createBucket(bucket("list"), event: event("BucketCreated"))
            try await store.createBucket(bucket("list2"), event: event("BucketCreated"))
            let keys = [
                "a", "A", "ab", "a%b", "a%", "a_b", "a_", "aXb", "a/b", "a/b/c", "b", "z", "~", "\u{7F}", "é", "éa", "e",
                "日本", "日本語", "日", "😀", "😀x", "\u{FFFD}", "\u{E000}", "a\u{10FFFF}", "a\u{10FFFF}z", "b\u{10FFFF}",
                "\u{10FFFF}", "\u{10FFFF}\u{10FFFF}", "% ", "_",
            ]
            for key in keys { try await store.putObject(object("list", key), event: nil) }
            try await store.putObject(object("list2", "a"), event: nil)

            func list(_ prefix: String = "", after: String? = nil, limit: Int = 1000) async throws -> [String] {
                try await store.listObjects(ObjectListQuery(bucket: "list", prefix: prefix, after: after, limit: limit)).map(\.key)
            }
            let sorted = byteOrdered(keys)
            #expect(try await list() == sorted)
            #expect(try await list("a%") == ["a%", "a%b"])
            #expect(try await list("a_") == ["a_", "a_b"])
            #expect(try await list("%") == ["% "])
            #expect(try await list("_") == ["_"])
            #expect(try await list("a/") == ["a/b", "a/b/c"])
            #expect(try await list("日本") == ["日本", "日本語"])
            #expect(try await list("é") == ["é", "éa"])
            #expect(try await list("a\u{10FFFF}") == ["a\u{10FFFF}", "a\u{10FFFF}z"])
            #expect(try await list("\u{10FFFF}") == ["\u{10FFFF}", "\u{10FFFF}\u{10FFFF}"])
            #expect(try await list("nothing").isEmpty)
            #expect(try await list("a", after: "a%b", limit: 3) == Array(sorted.filter { $0.hasPrefix("a") && byteGreater($0, "a%b") }.prefix(3)))
            #expect(try await list(after: "z") == sorted.filter { byteGreater($0, "z") })
            #expect(try await list(limit: 0).isEmpty)

            // Paging with `after` visits every key once, in order.
            var paged: [String] = []
            var after: String?
            while true {
                let page = try await list(after: after, limit: 4)
                paged += page
                guard page.count == 4 else { break }
                after = page.last
            }
            #expect(paged == sorted)
        }
    }

    @Test(arguments: Backend.all)
    func multipartUploads(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createBucket(bucket("mp"), event: event("BucketCreated"))
            try await store.createUpload(upload("u2", bucket: "mp", key: "big", at: 5))
            try await store.createUpload(upload("u1", bucket: "mp", key: "big", at: 1))
            try await store.createUpload(upload("u3", bucket: "mp", key: "another", at: 9))
            await expectError(.alreadyExists) { try await store.createUpload(upload("u1", bucket: "mp", key: "x")) }
            #expect(try await store.upload(id: "u1") == upload("u1", bucket: "mp", key: "big", at: 1))
            #expect(try await store.uploads(bucket: "mp", prefix: "", limit: 10).map(\.id) == ["u3", "u1", "u2"])
            #expect(try await store.uploads(bucket: "mp", prefix: "bi", limit: 10).map(\.id) == ["u1", "u2"])
            #expect(try await store.uploads(bucket: "mp", prefix: "", limit: 1).map(\.id) == ["u3"])

            #expect(try await store.putPart(part("u1", 1)) == nil)
            #expect(try await store.putPart(part("u1", 2, etag: "old")) == nil)
            #expect(try await store.putPart(part("u1", 2, etag: "new")) == part("u1", 2, etag: "old"))
            #expect(try await store.putPart(part("u1", 3)) == nil)
            #expect(try await store.putPart(part("u1", 10)) == nil)
            await expectError(.noSuchUpload) { try await store.putPart(part("nope", 1)) }
            #expect(try await store.parts(uploadId: "u1", after: 0, limit: 10).map(\.number) == [1, 2, 3, 10])
            #expect(try await store.parts(uploadId: "u1", after: 1, limit: 2) == [part("u1", 2, etag: "new"), part("u1", 3)])

            let referenced = try await store.referencedBlobKeys()
            #expect(referenced.isSuperset(of: [part("u1", 1).blob.key, part("u1", 2, etag: "new").blob.key]))

            // Completing with parts 1 and 2 replaces the object there and leaves 3 and 10 unused.
            let previous = object("mp", "big")
            try await store.putObject(previous, event: nil)
            let combined = ObjectRecord(
                bucket: "mp", key: "big", size: 10, etag: "abc-2", contentType: "application/octet-stream", metadata: ["a": "b"],
                lastModified: time(20), blobs: [part("u1", 1).blob, part("u1", 2, etag: "new").blob]
            )
            let completed = try await store.completeUpload(id: "u1", object: combined, event: event("ObjectCreated"))
            #expect(completed.replaced == previous)
            #expect(completed.unusedParts == [part("u1", 3), part("u1", 10)])
            #expect(try await store.object(bucket: "mp", key: "big") == combined)
            #expect(try await store.upload(id: "u1") == nil)
            #expect(try await store.parts(uploadId: "u1", after: 0, limit: 10).isEmpty)
            await expectError(.noSuchUpload) { _ = try await store.completeUpload(id: "u1", object: combined, event: event("Again")) }
            #expect(try await store.events(after: 0, accountId: nil, limit: 10).map(\.event.type) == ["BucketCreated", "ObjectCreated"])

            let blobs = try await store.referencedBlobKeys()
            #expect(blobs.isSuperset(of: combined.blobs.map(\.key)))
            #expect(!blobs.contains(previous.blobs[0].key))
            #expect(!blobs.contains(part("u1", 3).blob.key))

            // Completing into a key with no object replaces nothing.
            try await store.putPart(part("u3", 1))
            let fresh = try await store.completeUpload(id: "u3", object: object("mp", "another", blobs: [part("u3", 1).blob.key]), event: nil)
            #expect(fresh.replaced == nil)
            #expect(fresh.unusedParts.isEmpty)

            try await store.putPart(part("u2", 2))
            try await store.putPart(part("u2", 1))
            #expect(try await store.abortUpload(id: "u2") == [part("u2", 1), part("u2", 2)])
            #expect(try await store.upload(id: "u2") == nil)
            await expectError(.noSuchUpload) { _ = try await store.abortUpload(id: "u2") }
            #expect(try await store.uploads(bucket: "mp", prefix: "", limit: 10).isEmpty)
        }
    }

    @Test(arguments: Backend.all)
    func eventsInOrderByAccount(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.appendEvent(event("One", at: 1))
            try await store.createBucket(bucket("theirs", account: otherAccount), event: event("Two", account: otherAccount, at: 2))
            try await store.appendEvent(event("Three", at: 3))
            try await store.appendEvent(event("Four", account: otherAccount, at: 4))

            let all = try await store.events(after: 0, accountId: nil, limit: 10)
            #expect(all.map(\.event.type) == ["One", "Two", "Three", "Four"])
            #expect(zip(all, all.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
            #expect(all[1].event == event("Two", account: otherAccount, at: 2))
            #expect(try await store.events(after: 0, accountId: account, limit: 10).map(\.event.type) == ["One", "Three"])
            #expect(try await store.events(after: all[0].sequence, accountId: otherAccount, limit: 1).map(\.event.type) == ["Two"])
            #expect(try await store.events(after: all[3].sequence, accountId: nil, limit: 10).isEmpty)
            #expect(try await store.events(after: 0, accountId: nil, limit: 2).map(\.event.type) == ["One", "Two"])
        }
    }

    /// A reader polling `sequence > last` during concurrent writes must end up with every event: none committed behind it.
    @Test(arguments: Backend.all)
    func eventsVisibleInCommitOrder(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let writers = 8
            let perWriter = 25
            let seen = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for index in 0..<perWriter {
                            if index % 2 == 0 {
                                try await store.appendEvent(event("E\(writer)-\(index)"))
                            } else {
                                try await store.createBucket(bucket("b-\(writer)-\(index)"), event: event("E\(writer)-\(index)"))
                            }
                        }
                        return []
                    }
                }
                group.addTask {
                    var cursor: Int64 = 0
                    var seen: [Int64] = []
                    while seen.count < writers * perWriter {
                        let batch = try await store.events(after: cursor, accountId: nil, limit: 7)
                        seen += batch.map(\.sequence)
                        cursor = batch.last?.sequence ?? cursor
                        if batch.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
                    }
                    return seen
                }
                var seen: [Int64] = []
                for try await result in group { seen += result }
                return seen
            }
            let all = try await store.events(after: 0, accountId: nil, limit: 10_000).map(\.sequence)
            #expect(all.count == writers * perWriter)
            #expect(seen == all)
        }
    }

    @Test(arguments: Backend.all)
    func webhooks(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let hook = Webhook(
                id: "wh1", accountId: account, url: "https://example.com/hook", eventTypes: ["A", "B"], sealedSecret: [1, 2, 3],
                cursor: 0, createdAt: time(1)
            )
            let theirs = Webhook(
                id: "wh2", accountId: otherAccount, url: "http://127.0.0.1:9/x", eventTypes: [], sealedSecret: [], cursor: 5,
                createdAt: time(2)
            )
            try await store.insertWebhook(hook)
            try await store.insertWebhook(theirs)
            await expectError(.alreadyExists) { try await store.insertWebhook(hook) }
            #expect(try await store.webhooks(accountId: nil) == [hook, theirs])
            #expect(try await store.webhooks(accountId: otherAccount) == [theirs])

            try await store.advanceWebhook(id: "wh1", cursor: 10)
            try await store.advanceWebhook(id: "wh1", cursor: 4)
            try await store.advanceWebhook(id: "missing", cursor: 4)
            #expect(try await store.webhooks(accountId: account).first?.cursor == 10)
            try await store.advanceWebhook(id: "wh1", cursor: 11)
            #expect(try await store.webhooks(accountId: account).first?.cursor == 11)

            #expect(try await store.deleteWebhook(id: "wh1", accountId: otherAccount) == false)
            #expect(try await store.deleteWebhook(id: "wh1", accountId: account) == true)
            #expect(try await store.webhooks(accountId: nil) == [theirs])
        }
    }
}

/// True when `left` sorts after `right` in UTF-8 byte order.
func byteGreater(_ left: String, _ right: String) -> Bool {
    Array(right.utf8).lexicographicallyPrecedes(Array(left.utf8))
}

@Suite struct JSONColumnTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    @Test func blobsAreWrittenAsTheEncoderWritesThem() throws {
        let cases: [[BlobRef]] = [
            [], [BlobRef(key: "blobs/ab/abcdef", size: 1024)], [BlobRef(key: "a", size: 0), BlobRef(key: "b/c d", size: Int64.max)],
            [BlobRef(key: "quote\"back\\slash", size: 1)], [BlobRef(key: "tab\there", size: 2)], [BlobRef(key: "é/ü", size: -3)],
        ]
        for blobs in cases {
            let text = JSONColumn.encode(blobs)
            #expect(text == String(decoding: try Self.encoder.encode(blobs), as: UTF8.self))
            #expect(try JSONColumn.decodeBlobs(text, column: "blobs") == blobs)
        }
    }

    @Test func blobsInOtherSpellingsStillDecode() throws {
        let blob = BlobRef(key: "k", size: 7)
        for text in [#"[ {"size":7,"key":"k"} ]"#, #"[{"key":"\u006b","size":7}]"#, #"[{"key":"k","size":07}]"#] {
            #expect((try? JSONColumn.decodeBlobs(text, column: "blobs")) == (text.contains("07") ? nil : [blob]), "\(text)")
        }
        #expect(throws: OspreyError.self) { try JSONColumn.decodeBlobs(#"[{"key":"k","size":7}"#, column: "blobs") }
        #expect(throws: OspreyError.self) { try JSONColumn.decodeBlobs(#"[{"key":"k","size":7}]x"#, column: "blobs") }
    }

    @Test func mapsAreWrittenAsTheEncoderWritesThem() throws {
        for map in [[:], ["a": "1"], ["b": "2", "a": "x/y"]] as [[String: String]] {
            #expect(JSONColumn.encode(map) == String(decoding: try Self.encoder.encode(map), as: UTF8.self))
        }
    }
}
