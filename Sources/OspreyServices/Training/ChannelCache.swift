import Crypto
import Foundation
import Glibc
import OspreyCore

/// Channel objects downloaded once per version and hard-linked into each job that reads them, so an unchanged dataset
/// is not copied twice.
///
/// A cached copy is keyed by account, bucket, key, ETag and size; it is read-only and stamped with the object's
/// modification time, so a job that rewrites its input in place is noticed (the stamp moves) and the copy is fetched
/// again. Copies not used for longest (a hard link updates a file's change time) go when the cache outgrows its limit.
actor ChannelCache {
    private let root: String
    private let limitBytes: Int64
    private var downloads: [String: Task<String, any Error>] = [:]
    private var addedSinceTrim: Int64 = 0

    init(root: String, limitBytes: Int64) {
        self.root = root
        self.limitBytes = limitBytes
    }

    /// Puts the object at every path in `destinations` (their folders are created).
    func place(_ record: ObjectRecord, accountId: String, at destinations: [String], objects: ObjectService) async throws {
        let cached = try await cachedCopy(of: record, accountId: accountId, objects: objects)
        for destination in destinations {
            try FileManager.default.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            unlink(destination)
            if link(cached, destination) != 0 {
                // Another file system (or no hard links): a copy still works.
                try FileManager.default.copyItem(atPath: cached, toPath: destination)
            }
        }
    }

    /// The cached file of `record`, downloaded first when there is none or the one there was changed.
    private func cachedCopy(of record: ObjectRecord, accountId: String, objects: ObjectService) async throws -> String {
        let name = Self.name(record, accountId: accountId)
        let path = root + "/" + name.prefix(2) + "/" + name
        if Self.isIntact(path, record) { return path }
        if let running = downloads[name] { return try await running.value }
        let task = Task {
            let partial = path + ".partial-\(UUID().uuidString)"
            defer { unlink(partial) }
            try await objects.download(record, to: partial, accountId: accountId)
            chmod(partial, 0o444)
            try Self.stamp(partial, record.lastModified)
            guard rename(partial, path) == 0 else { throw OspreyError(.internalError, "Cannot move a cached channel file into \(path).") }
            return path
        }
        downloads[name] = task
        defer { downloads[name] = nil }
        let placed = try await task.value
        addedSinceTrim += record.size
        if addedSinceTrim > limitBytes / 10 { trim() }
        return placed
    }

    /// Removes the least recently used copies until the cache fits its limit.
    func trim() {
        addedSinceTrim = 0
        guard let walker = FileManager.default.enumerator(atPath: root) else { return }
        var files: [(path: String, size: Int64, used: Int)] = []
        while let relative = walker.nextObject() as? String {
            var info = stat()
            let path = root + "/" + relative
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            files.append((path, Int64(info.st_size), info.st_ctim.tv_sec))
        }
        var total = files.reduce(0) { $0 + $1.size }
        for file in files.sorted(by: { $0.used < $1.used }) where total > limitBytes {
            unlink(file.path)
            total -= file.size
        }
    }

    private static func name(_ record: ObjectRecord, accountId: String) -> String {
        let identity = [accountId, record.bucket, record.key, record.etag, String(record.size)].joined(separator: "\u{0}")
        return hex(SHA256.hash(data: Data(identity.utf8)))
    }

    private static func isIntact(_ path: String, _ record: ObjectRecord) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int64(info.st_size) == record.size else { return false }
        return info.st_mtim.tv_sec == Int(record.lastModified.timeIntervalSince1970)
    }

    private static func stamp(_ path: String, _ date: Date) throws {
        let seconds = Int(date.timeIntervalSince1970)
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw OspreyError(.internalError, "Cannot stamp \(path).") }
    }
}
