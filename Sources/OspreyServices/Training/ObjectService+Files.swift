import Foundation
import NIOCore
import OspreyCore
import _NIOFileSystem

/// Objects to and from local files, for job folders.
extension ObjectService {
    /// Writes the object to `path` (replacing a file there), creating its folder.
    public func download(_ record: ObjectRecord, to path: String, accountId: String) async throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw OspreyError(.internalError, "Cannot write \(path).")
        }
        defer { try? handle.close() }
        try await read(record, range: nil) { chunk in
            try handle.write(contentsOf: Data(chunk.readableBytesView))
        }
    }

    /// Streams a local file (a model archive can be large) into an object.
    func upload(_ path: String, to uri: S3URI, contentType: String, accountId: String) async throws {
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            let size = try await handle.info().size
            _ = try await putObject(
                .init(bucket: uri.bucket, key: uri.key, contentType: contentType, metadata: [:], length: size), accountId: accountId,
                body: handle.readChunks(in: 0..<size, chunkLength: .mebibytes(1))
            )
        }
    }

    /// Every key under `prefix`, in order.
    public func allKeys(bucket: String, prefix: String, accountId: String) async throws -> [String] {
        var keys: [String] = []
        var after: String?
        repeat {
            let page = try await list(bucket: bucket, prefix: prefix, delimiter: nil, after: after, maxKeys: 1000, accountId: accountId)
            keys += page.objects.map(\.key)
            after = page.isTruncated ? page.next : nil
        } while after != nil
        return keys
    }
}

/// The path of `key` below `prefix`, checked to stay inside its folder (`../` and absolute keys are refused).
public func relativePath(of key: String, under prefix: String) throws -> String {
    var relative = String(key.dropFirst(prefix.count))
    while relative.hasPrefix("/") { relative.removeFirst() }
    if relative.isEmpty { relative = (key as NSString).lastPathComponent }
    guard !TarArchive.escapes(relative, from: ""), !relative.hasPrefix("/") else {
        throw OspreyError(.validation, "The S3 key '\(key)' would land outside its folder.")
    }
    return relative
}
