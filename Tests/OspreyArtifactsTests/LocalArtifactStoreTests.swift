import Foundation
import NIOCore
import OspreyArtifacts
import OspreyCore
import Testing

@Suite("LocalArtifactStore")
struct LocalArtifactStoreTests {
    /// A store in a fresh temporary folder, removed after `body`.
    func withStore(_ body: (LocalArtifactStore, String) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-local-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await body(try await LocalArtifactStore(root: root), root)
    }

    /// Every file under `root`, as relative paths, hidden and temporary files included.
    func files(under root: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(path)
            }
        }
        return found.sorted()
    }

    @Test func writeThenRead() async throws { try await withStore { store, _ in try await ArtifactStoreContract.writeThenRead(store) } }
    @Test func ranges() async throws { try await withStore { store, _ in try await ArtifactStoreContract.ranges(store) } }
    @Test func copy() async throws { try await withStore { store, _ in try await ArtifactStoreContract.copy(store) } }
    @Test func delete() async throws { try await withStore { store, _ in try await ArtifactStoreContract.delete(store) } }
    @Test func keys() async throws { try await withStore { store, _ in try await ArtifactStoreContract.keys(store) } }
    @Test func rejectsBadKeys() async throws { try await withStore { store, _ in try await ArtifactStoreContract.rejectsBadKeys(store) } }

    @Test func failingBodyLeavesNoFileAndNoTemporaryFile() async throws {
        try await withStore { store, root in
            try await ArtifactStoreContract.failingBodyStoresNothing(store)
            let left = files(under: root)
            #expect(left.count == 1 && left[0].hasSuffix("/old"), "only the kept file remains: \(left)")
        }
    }

    @Test func copyLeavesNoStagingFile() async throws {
        try await withStore { store, root in
            try await ArtifactStoreContract.copy(store)
            #expect(!files(under: root).contains { $0.contains("partial") })
        }
    }

    @Test func keysOfAnEmptyOrMissingFolder() async throws {
        try await withStore { store, root in
            #expect(try await store.keys(prefix: "").isEmpty)
            try FileManager.default.removeItem(atPath: root)
            #expect(try await store.keys(prefix: "any/").isEmpty)
        }
    }

    @Test func keysLiveAsFilesUnderTheRoot() async throws {
        try await withStore { store, root in
            try await store.write("models/m1/model.tar.gz", bytes: ByteBuffer(string: "m"))
            #expect(files(under: root) == ["models/m1/model.tar.gz"])
            #expect(store.root.string == root)
        }
    }

    @Test func largeStreamedWrite() async throws {
        try await withStore { store, _ in
            try await ArtifactStoreContract.largeStreamedWrite(store, bytes: 64 << 20, lengthKnown: false)
        }
    }
}
