import NIOCore
import OspreyArtifacts
import OspreyCore
import Testing

/// Behaviours every `ArtifactStore` must show, run against each implementation.
///
/// Each check uses keys under its own random folder, so checks can share one store and run in parallel.
enum ArtifactStoreContract {
    static func folder() -> String { "t" + String(UInt64.random(in: 0...UInt64.max), radix: 36) }

    static func read(_ store: some ArtifactStore, _ key: String, range: Range<Int64>? = nil) async throws -> String {
        var all = ByteBuffer()
        try await store.read(key, range: range) { chunk in
            var chunk = chunk
            all.writeBuffer(&chunk)
        }
        return String(buffer: all)
    }

    static func writeThenRead(_ store: some ArtifactStore) async throws {
        let key = folder() + "/nested/deeper/file.txt"
        #expect(try await store.write(key, bytes: ByteBuffer(string: "hello")) == 5)
        #expect(try await read(store, key) == "hello")
        #expect(try await store.size(of: key) == 5)
        #expect(try await store.write(key, length: nil, from: ChunkedBody(chunks: [ByteBuffer(string: "new "), ByteBuffer(string: "text")])) == 8)
        #expect(try await read(store, key) == "new text")
        #expect(try await store.write(key, bytes: ByteBuffer()) == 0)
        #expect(try await store.size(of: key) == 0)
        #expect(try await read(store, key) == "")
        #expect(String(buffer: try await store.readAll(key)) == "")
    }

    static func ranges(_ store: some ArtifactStore) async throws {
        let key = folder() + "/digits"
        let text = String((0..<100).map { Character(String($0 % 10)) })
        try await store.write(key, bytes: ByteBuffer(string: text))
        #expect(try await read(store, key, range: 10..<15) == "01234")
        #expect(try await read(store, key, range: 0..<1) == "0")
        #expect(try await read(store, key, range: 95..<500) == "56789", "a range past the end is clipped")
        #expect(try await read(store, key, range: 97..<Int64.max) == "789")
        #expect(try await read(store, key, range: 100..<110) == "", "a range starting at the end reads nothing")
        #expect(try await read(store, key, range: 7..<7) == "")
        try await store.write(key + "-empty", bytes: ByteBuffer())
        #expect(try await read(store, key + "-empty", range: 0..<10) == "")
        await expectNotFound { try await read(store, key + "-missing", range: 0..<10) }
        await expectNotFound { try await read(store, key + "-missing", range: 3..<3) }
    }

    static func copy(_ store: some ArtifactStore) async throws {
        let base = folder()
        try await store.write(base + "/a", bytes: ByteBuffer(string: "first"))
        try await store.copy(base + "/a", to: base + "/copies/b")
        #expect(try await read(store, base + "/copies/b") == "first")
        try await store.write(base + "/c", bytes: ByteBuffer(string: "second"))
        try await store.copy(base + "/c", to: base + "/copies/b")
        #expect(try await read(store, base + "/copies/b") == "second", "a copy replaces the target")
        #expect(try await read(store, base + "/a") == "first")
        await expectNotFound { try await store.copy(base + "/missing", to: base + "/d") }
        #expect(try await store.size(of: base + "/d") == nil)
    }

    static func delete(_ store: some ArtifactStore) async throws {
        let key = folder() + "/gone"
        try await store.write(key, bytes: ByteBuffer(string: "x"))
        try await store.delete(key)
        #expect(try await store.size(of: key) == nil)
        await expectNotFound { try await read(store, key) }
        try await store.delete(key)
    }

    static func keys(_ store: some ArtifactStore) async throws {
        let base = folder()
        for key in ["p/a", "p/b/c", "p/b/d e+f", "pq/x", "q/y"] {
            try await store.write(base + "/" + key, bytes: ByteBuffer(string: key))
        }
        let all = try await store.keys(prefix: base + "/").sorted()
        #expect(all == ["p/a", "p/b/c", "p/b/d e+f", "pq/x", "q/y"].map { base + "/" + $0 })
        #expect(try await store.keys(prefix: base + "/p/").sorted() == ["p/a", "p/b/c", "p/b/d e+f"].map { base + "/" + $0 })
        #expect(try await store.keys(prefix: base + "/p").sorted() == ["p/a", "p/b/c", "p/b/d e+f", "pq/x"].map { base + "/" + $0 })
        #expect(try await store.keys(prefix: base + "/p/b/d").sorted() == [base + "/p/b/d e+f"])
        #expect(try await store.keys(prefix: base + "/zzz").isEmpty)
        #expect(try await store.keys(prefix: "").contains(base + "/q/y"))
    }

    static func rejectsBadKeys(_ store: some ArtifactStore) async throws {
        for key in ["", "/absolute", "a//b", "a/", "..", "../escape", "a/../../b", "a/./b", "a\0b"] {
            await expectInvalid(key) { try await store.write(key, bytes: ByteBuffer(string: "x")) }
            await expectInvalid(key) { try await read(store, key) }
            await expectInvalid(key) { try await store.size(of: key) }
            await expectInvalid(key) { try await store.delete(key) }
            await expectInvalid(key) { try await store.copy(key, to: "fine") }
            await expectInvalid(key) { try await store.copy("fine", to: key) }
        }
    }

    static func failingBodyStoresNothing(_ store: some ArtifactStore) async throws {
        let base = folder()
        let chunk = ByteBuffer(repeating: 7, count: 64 << 10)
        for length in [nil, Int64(4 * chunk.readableBytes)] {
            await #expect(throws: BodyFailure.self) {
                try await store.write(base + "/new", length: length, from: FailingBody(chunks: [chunk, chunk]))
            }
            #expect(try await store.size(of: base + "/new") == nil)
            try await store.write(base + "/old", bytes: ByteBuffer(string: "kept"))
            await #expect(throws: BodyFailure.self) {
                try await store.write(base + "/old", length: length, from: FailingBody(chunks: [chunk]))
            }
            #expect(try await read(store, base + "/old") == "kept", "a failed write keeps the old content")
        }
        #expect(try await store.keys(prefix: base + "/").sorted() == [base + "/old"])
    }

    static func largeStreamedWrite(_ store: some ArtifactStore, bytes: Int64, lengthKnown: Bool) async throws {
        let key = folder() + "/large.bin"
        let body = GeneratedBody(count: bytes)
        #expect(try await store.write(key, length: lengthKnown ? bytes : nil, from: body) == bytes)
        #expect(try await store.size(of: key) == bytes)
        var digest = StreamDigest()
        try await store.read(key, range: nil) { digest.add($0) }
        #expect(digest.bytes == bytes)
        #expect(digest.largestChunk <= 4 << 20, "reads stream in bounded chunks")
        #expect(digest.hex == (try await body.sha256()))
        var middle = StreamDigest()
        try await store.read(key, range: (bytes / 2)..<(bytes / 2 + 1000)) { middle.add($0) }
        #expect(middle.bytes == 1000)
        try await store.delete(key)
    }

    // MARK: Expectations

    static func expectNotFound(
        _ body: () async throws -> some Any, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            _ = try await body()
            Issue.record("expected a not-found error", sourceLocation: sourceLocation)
        } catch let error as OspreyError {
            #expect(error.code == .notFound, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected OspreyError(.notFound), got \(error)", sourceLocation: sourceLocation)
        }
    }

    static func expectInvalid(
        _ key: String, _ body: () async throws -> some Any, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            _ = try await body()
            Issue.record("key \(key.debugDescription) was accepted", sourceLocation: sourceLocation)
        } catch let error as OspreyError {
            #expect(error.code == .invalidArgument, "\(key.debugDescription): \(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("key \(key.debugDescription): expected .invalidArgument, got \(error)", sourceLocation: sourceLocation)
        }
    }
}
