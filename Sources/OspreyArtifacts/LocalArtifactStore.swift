import NIOCore
import OspreyCore
import _NIOFileSystem
import Synchronization

/// An artifact store in a local folder: each key is a file under the root.
///
/// Files are created with `O_TMPFILE`-style transactional creation, so a reader or a crash never sees a partial file.
public struct LocalArtifactStore: ArtifactStore {
    public let root: FilePath
    private let fileSystem: FileSystem
    /// Folders this store made or found, so a write does not ask the file system again (a folder removed behind the
    /// store's back is made again when a write into it fails).
    private let knownFolders = KnownFolders()

    /// Uses `root` (created if missing) as the store's folder.
    public init(root: String, fileSystem: FileSystem = .shared) async throws {
        self.root = FilePath(root)
        self.fileSystem = fileSystem
        try await fileSystem.createDirectory(at: self.root, withIntermediateDirectories: true, permissions: [.ownerReadWriteExecute])
    }

    func path(of key: String) throws -> FilePath {
        var path = root
        for segment in try ArtifactKey.segments(of: key) { path.append(String(segment)) }
        return path
    }

    public func write<Body: AsyncSequence & Sendable>(_ key: String, length: Int64?, from body: Body) async throws -> Int64
    where Body.Element == ByteBuffer {
        let path = try path(of: key)
        try await makeParent(of: path)
        let handle: WriteFileHandle
        do {
            handle = try await fileSystem.openFile(forWritingAt: path, options: .newFile(replaceExisting: true, permissions: [.ownerReadWrite]))
        } catch let error as FileSystemError where error.code == .notFound {
            knownFolders.remove(path.removingLastComponent().string)
            try await makeParent(of: path)
            handle = try await fileSystem.openFile(forWritingAt: path, options: .newFile(replaceExisting: true, permissions: [.ownerReadWrite]))
        }
        do {
            var writer = handle.bufferedWriter(capacity: .kibibytes(1024))
            var written: Int64 = 0
            for try await chunk in body {
                written += try await writer.write(contentsOf: chunk)
            }
            try await writer.flush()
            try await handle.close(makeChangesVisible: true)
            return written
        } catch {
            try? await handle.close(makeChangesVisible: false)
            throw error
        }
    }

    private func makeParent(of path: FilePath) async throws {
        let parent = path.removingLastComponent()
        guard parent != root, !knownFolders.contains(parent.string) else { return }
        try await fileSystem.createDirectory(at: parent, withIntermediateDirectories: true, permissions: [.ownerReadWriteExecute])
        knownFolders.insert(parent.string)
    }

    public func read(_ key: String, range: Range<Int64>?, into consume: (ByteBuffer) async throws -> Void) async throws {
        let path = try path(of: key)
        let handle: ReadFileHandle
        do {
            handle = try await fileSystem.openFile(forReadingAt: path, options: OpenOptions.Read())
        } catch let error as FileSystemError where error.code == .notFound {
            throw OspreyError(.notFound, "Artifact '\(key)' does not exist.")
        }
        do {
            let chunks = handle.readChunks(in: range ?? 0..<Int64.max, chunkLength: .kibibytes(256))
            for try await chunk in chunks { try await consume(chunk) }
            try await handle.close()
        } catch {
            try? await handle.close()
            throw error
        }
    }

    public func copy(_ source: String, to target: String) async throws {
        let from = try path(of: source)
        let to = try path(of: target)
        guard try await fileSystem.info(forFileAt: from, infoAboutSymbolicLink: false) != nil else {
            throw OspreyError(.notFound, "Artifact '\(source)' does not exist.")
        }
        try await makeParent(of: to)
        // Copy beside the target, then rename: the target appears whole or not at all.
        var staging = to
        staging.extension = "partial-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        do {
            try await fileSystem.copyItem(at: from, to: staging)
            try await fileSystem.replaceItem(at: to, withItemAt: staging)
        } catch {
            _ = try? await fileSystem.removeItem(at: staging, recursively: false)
            throw error
        }
    }

    public func delete(_ key: String) async throws {
        _ = try await fileSystem.removeItem(at: try path(of: key), recursively: false)
    }

    public func size(of key: String) async throws -> Int64? {
        guard let info = try await fileSystem.info(forFileAt: try path(of: key), infoAboutSymbolicLink: false) else { return nil }
        return info.size
    }

    public func keys(prefix: String) async throws -> [String] {
        var keys: [String] = []
        try await collect(root, relative: "", prefix: prefix, into: &keys)
        return keys
    }

    private func collect(_ directory: FilePath, relative: String, prefix: String, into keys: inout [String]) async throws {
        let entries: [DirectoryEntry]
        do {
            entries = try await fileSystem.withDirectoryHandle(atPath: directory) { dir in
                try await dir.listContents().reduce(into: []) { $0.append($1) }
            }
        } catch let error as FileSystemError where error.code == .notFound {
            return
        }
        for entry in entries {
            let key = relative.isEmpty ? entry.name.string : relative + "/" + entry.name.string
            // Descend only where keys under this folder can still match the prefix.
            guard key.hasPrefix(prefix) || prefix.hasPrefix(key + "/") || prefix.hasPrefix(key) else { continue }
            switch entry.type {
            case .directory: try await collect(entry.path, relative: key, prefix: prefix, into: &keys)
            case .regular: if key.hasPrefix(prefix) { keys.append(key) }
            default: continue
            }
        }
    }
}

/// A thread-safe set of folder paths.
final class KnownFolders: Sendable {
    private let paths = Mutex<Set<String>>([])

    func contains(_ path: String) -> Bool { paths.withLock { $0.contains(path) } }
    func insert(_ path: String) { _ = paths.withLock { $0.insert(path) } }
    func remove(_ path: String) { _ = paths.withLock { $0.remove(path) } }
}
