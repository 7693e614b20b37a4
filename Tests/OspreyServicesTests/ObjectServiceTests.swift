import Foundation
import Logging
import NIOCore
import OspreyArtifacts
import OspreyCore
import OspreyServices
import OspreyStore
import Testing

/// A real SQLite store and a real folder, in a fresh temporary directory.
struct Fixture {
    let root: String
    let store: SQLMetadataStore
    let blobs: LocalArtifactStore
    let objects: ObjectService
    let account = Deployment.rootAccount

    static func make() async throws -> Fixture {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-services-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let store = try await SQLMetadataStore.open(url: "sqlite:\(root)/osprey.db", logger: Logger(label: "test"))
        let blobs = try await LocalArtifactStore(root: root + "/artifacts")
        let objects = ObjectService(store: store, blobs: blobs, clock: SystemClock(), ids: RandomIDGenerator(), deployment: Deployment())
        return Fixture(root: root, store: store, blobs: blobs, objects: objects)
    }

    /// Runs `body` with a fresh fixture and always cleans it up.
    static func with(_ body: (Fixture) async throws -> Void) async throws {
        let fixture = try await make()
        do {
            try await body(fixture)
        } catch {
            await fixture.close()
            throw error
        }
        await fixture.close()
    }

    func close() async {
        await store.close()
        try? FileManager.default.removeItem(atPath: root)
    }

    func put(_ bucket: String, _ key: String, _ text: String) async throws -> ObjectRecord {
        try await objects.putObject(
            .init(bucket: bucket, key: key, contentType: nil, metadata: [:], length: Int64(text.utf8.count)), accountId: account,
            body: Chunks([ByteBuffer(string: text)])
        )
    }

    func read(_ record: ObjectRecord, _ range: Range<Int64>? = nil) async throws -> String {
        var out = ByteBuffer()
        try await objects.read(record, range: range) { chunk in
            var chunk = chunk
            out.writeBuffer(&chunk)
        }
        return String(buffer: out)
    }
}

/// An async sequence of buffers that may fail after them.
struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    var buffers: [ByteBuffer]
    var failure: OspreyError?

    init(_ buffers: [ByteBuffer], failure: OspreyError? = nil) {
        self.buffers = buffers
        self.failure = failure
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffers: [ByteBuffer]
        var failure: OspreyError?
        mutating func next() async throws -> ByteBuffer? {
            if !buffers.isEmpty { return buffers.removeFirst() }
            if let failure { throw failure }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffers: buffers, failure: failure) }
}

@Suite struct ObjectServiceTests {
    @Test func putGetAndRanges() async throws {
        try await Fixture.with { f in
            _ = try await f.objects.createBucket("data", accountId: f.account)
            let record = try await f.put("data", "a/b.txt", "hello world")
            #expect(record.etag == "5eb63bbbe01eeed093cb22bb8f5acdc3")
            let found = try await f.objects.object(bucket: "data", key: "a/b.txt", accountId: f.account)
            #expect(try await f.read(found) == "hello world")
            #expect(try await f.read(found, 6..<11) == "world")
        }
    }

    @Test func aBodyThatFailsStoresNothing() async throws {
        try await Fixture.with { f in
            _ = try await f.objects.createBucket("data", accountId: f.account)
            let bad = Chunks([ByteBuffer(string: "partial")], failure: OspreyError(.badDigest, "bad"))
            await #expect(throws: OspreyError.self) {
                _ = try await f.objects.putObject(
                    .init(bucket: "data", key: "k", contentType: nil, metadata: [:], length: nil), accountId: f.account, body: bad
                )
            }
            await #expect(throws: OspreyError.self) { _ = try await f.objects.object(bucket: "data", key: "k", accountId: f.account) }
            #expect(try await f.blobs.keys(prefix: "").isEmpty)
        }
    }

    @Test func listingRollsUpPrefixesAndPages() async throws {
        try await Fixture.with { f in
            _ = try await f.objects.createBucket("data", accountId: f.account)
            for key in ["a/1", "a/2", "b", "c/x/1", "c/y", "d"] { _ = try await f.put("data", key, key) }
            let all = try await f.objects.list(bucket: "data", prefix: "", delimiter: "/", after: nil, maxKeys: 1000, accountId: f.account)
            #expect(all.objects.map(\.key) == ["b", "d"])
            #expect(all.commonPrefixes == ["a/", "c/"])
            #expect(!all.isTruncated)

            var seen: [String] = []
            var after: String?
            repeat {
                let page = try await f.objects.list(bucket: "data", prefix: "", delimiter: "/", after: after, maxKeys: 1, accountId: f.account)
                seen += page.objects.map(\.key) + page.commonPrefixes
                after = page.isTruncated ? page.next : nil
            } while after != nil
            #expect(seen == ["a/", "b", "c/", "d"])

            let under = try await f.objects.list(bucket: "data", prefix: "c/", delimiter: "/", after: nil, maxKeys: 10, accountId: f.account)
            #expect(under.objects.map(\.key) == ["c/y"])
            #expect(under.commonPrefixes == ["c/x/"])
        }
    }

    @Test func multipartChecksPartsLikeS3() async throws {
        try await Fixture.with { f in
            _ = try await f.objects.createBucket("data", accountId: f.account)
            let upload = try await f.objects.createUpload(
                .init(bucket: "data", key: "big", contentType: "text/plain", metadata: ["a": "b"], length: nil), accountId: f.account
            )
            let big = String(repeating: "x", count: Int(ObjectService.minPartSize))
            let p1 = try await f.objects.uploadPart(
                uploadId: upload.id, bucket: "data", key: "big", number: 1, length: nil, accountId: f.account, body: Chunks([ByteBuffer(string: big)])
            )
            let p2 = try await f.objects.uploadPart(
                uploadId: upload.id, bucket: "data", key: "big", number: 2, length: nil, accountId: f.account, body: Chunks([ByteBuffer(string: "tail")])
            )
            func complete(_ parts: [(Int, String)]) async throws -> ObjectRecord {
                try await f.objects.completeUpload(
                    uploadId: upload.id, bucket: "data", key: "big", parts: parts.map { (number: $0.0, etag: $0.1) }, accountId: f.account
                )
            }
            await expectCode(.invalidPartOrder) { _ = try await complete([(2, p2.etag), (1, p1.etag)]) }
            await expectCode(.invalidPart) { _ = try await complete([(1, p1.etag), (2, "\"0000\"")]) }
            let p3 = try await f.objects.uploadPart(
                uploadId: upload.id, bucket: "data", key: "big", number: 3, length: nil, accountId: f.account, body: Chunks([ByteBuffer(string: "z")])
            )
            await expectCode(.entityTooSmall) { _ = try await complete([(2, p2.etag), (3, p3.etag)]) }
            let record = try await complete([(1, "\"\(p1.etag)\""), (2, p2.etag)])
            #expect(record.etag.hasSuffix("-2"))
            #expect(record.size == Int64(big.count + 4))
            #expect(try await f.read(record, Int64(big.count - 1)..<Int64(big.count + 2)) == "xta")
            await expectCode(.noSuchUpload) { _ = try await complete([(1, p1.etag)]) }
        }
    }

    @Test func copyAndGarbageCollection() async throws {
        try await Fixture.with { f in
            _ = try await f.objects.createBucket("data", accountId: f.account)
            _ = try await f.put("data", "src", "content")
            let copy = try await f.objects.copyObject(from: ("data", "src"), to: ("data", "dst"), replacing: nil, accountId: f.account)
            try await f.objects.deleteObject(bucket: "data", key: "src", accountId: f.account)
            #expect(try await f.read(copy) == "content")
            // A blob nobody references (as a crash between writing bytes and committing leaves) is collected.
            try await f.blobs.write("objects/zz/orphan", bytes: ByteBuffer(string: "lost"))
            #expect(try await f.objects.collectGarbage() == 1)
            #expect(try await f.read(copy) == "content")
        }
    }

    @Test func bucketsBelongToTheirAccount() async throws {
        try await Fixture.with { f in
            _ = try await f.objects.createBucket("mine", accountId: f.account)
            await expectCode(.accessDenied) { _ = try await f.objects.bucket("mine", accountId: "111111111111") }
            await expectCode(.bucketAlreadyExists) { _ = try await f.objects.createBucket("mine", accountId: "111111111111") }
            await expectCode(.bucketAlreadyOwnedByYou) { _ = try await f.objects.createBucket("mine", accountId: f.account) }
            _ = try await f.put("mine", "k", "v")
            await expectCode(.bucketNotEmpty) { try await f.objects.deleteBucket("mine", accountId: f.account) }
        }
    }
}

func expectCode(_ code: OspreyError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as OspreyError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
