import Foundation
import OspreyCore

/// Keeps a job's checkpoint folders and its `CheckpointConfig.S3Uri` in step: restored before each start, files that
/// are new or changed uploaded while the job runs and once more after it ends (SageMaker's managed-spot contract).
actor CheckpointSync {
    private struct Stamp: Equatable {
        var size: Int64
        var modified: Date
    }

    private let objects: ObjectService
    private let uri: S3URI
    private let accountId: String
    private var uploaded: [String: Stamp] = [:]

    init(objects: ObjectService, uri: S3URI, accountId: String) {
        self.objects = objects
        self.uri = uri
        self.accountId = accountId
    }

    private var prefix: String { uri.key.isEmpty || uri.key.hasSuffix("/") ? uri.key : uri.key + "/" }

    /// Copies every object under the checkpoint URI into each folder; returns how many objects there were.
    @discardableResult
    func restore(into folders: [String]) async throws -> Int {
        let keys = try await objects.allKeys(bucket: uri.bucket, prefix: prefix, accountId: accountId)
        for key in keys {
            let relative = try relativePath(of: key, under: prefix)
            let record = try await objects.object(bucket: uri.bucket, key: key, accountId: accountId)
            for folder in folders {
                let path = folder + "/" + relative
                try await objects.download(record, to: path, accountId: accountId)
                // What was restored is already in S3: only later changes are uploaded.
                if let stamp = Self.stamp(path) { uploaded[relative] = stamp }
            }
        }
        return keys.count
    }

    /// Uploads every regular file of `folders` that is new or changed since it was last uploaded.
    func upload(from folders: [String]) async throws {
        for folder in folders {
            guard let walker = FileManager.default.enumerator(atPath: folder) else { continue }
            while let relative = walker.nextObject() as? String {
                let path = folder + "/" + relative
                guard let stamp = Self.stamp(path), uploaded[relative] != stamp else { continue }
                try await objects.upload(path, to: S3URI(bucket: uri.bucket, key: prefix + relative), contentType: "application/octet-stream",
                                         accountId: accountId)
                uploaded[relative] = stamp
            }
        }
    }

    /// Size and modification time of a regular file that is not a link; nil otherwise.
    private static func stamp(_ path: String) -> Stamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            attributes[.type] as? FileAttributeType == .typeRegular,
            let size = attributes[.size] as? NSNumber, let modified = attributes[.modificationDate] as? Date
        else { return nil }
        return Stamp(size: size.int64Value, modified: modified)
    }
}
