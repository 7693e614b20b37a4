import Foundation
import NIOCore
import OspreyArtifacts
import OspreyCore
import OspreyServices

/// One object a transform job reads, and the key its output goes to.
struct TransformObject: Sendable {
    var bucket: String
    var key: String
    /// `{S3OutputPath}/{key relative to the input prefix}.out`.
    var outputKey: String

    var uri: String { "s3://\(bucket)/\(key)" }
}

/// Finding a job's input objects, reading them and writing outputs.
extension ObjectService {
    /// The objects a transform job reads: every key under its prefix (folder markers left out), or the keys its manifest
    /// lists under the manifest's prefix. Throws `.validation` when there is none.
    func transformInputs(_ request: TransformRequest, accountId: String) async throws -> [TransformObject] {
        let (bucket, prefix, keys): (String, String, [String])
        if request.manifest {
            (bucket, prefix, keys) = try await manifestKeys(request.input, accountId: accountId)
        } else {
            bucket = request.input.bucket
            prefix = request.input.key
            keys = try await allKeys(bucket: bucket, prefix: prefix, accountId: accountId).filter { !$0.hasSuffix("/") }
        }
        guard !keys.isEmpty else {
            throw OspreyError(.validation, "No S3 objects found under S3 URL \"\(request.input)\" given in input data source.")
        }
        var folder = request.output.key
        if !folder.isEmpty, !folder.hasSuffix("/") { folder += "/" }
        return try keys.map { key in
            TransformObject(bucket: bucket, key: key, outputKey: folder + (try relativePath(of: key, under: prefix)) + ".out")
        }
    }

    /// A manifest `[{"prefix": "s3://bucket/prefix/"}, "relative/key", …]`: its bucket, prefix and keys.
    private func manifestKeys(_ uri: S3URI, accountId: String) async throws -> (String, String, [String]) {
        let record = try await object(bucket: uri.bucket, key: uri.key, accountId: accountId)
        guard record.size <= 16 << 20 else { throw OspreyError(.validation, "The manifest \(uri) is over 16 MiB.") }
        let invalid = OspreyError(
            .validation, "The manifest \(uri) must be a JSON list: " + #"[{"prefix": "s3://bucket/prefix/"}, "relative/key", …]."#)
        guard let entries = try? JSONValue.parse(try await bytes(of: record, accountId: accountId)).arrayValue,
            let prefixURI = entries.first?["prefix"]?.stringValue
        else { throw invalid }
        let base = try S3URI(prefixURI, field: "the manifest's prefix")
        let keys = try entries.dropFirst().map { entry -> String in
            guard let relative = entry.stringValue else { throw invalid }
            return base.key + relative
        }
        return (base.bucket, base.key, keys)
    }

    /// The whole content of an object.
    func bytes(of record: ObjectRecord, accountId: String) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(record.size))
        try await read(record, range: nil) { chunk in bytes += chunk.readableBytesView }
        return bytes
    }

    /// Stores `body` whole at `key` (an object appears complete or not at all).
    func put(_ body: ByteBuffer, bucket: String, key: String, contentType: String, accountId: String) async throws {
        _ = try await putObject(
            NewObject(bucket: bucket, key: key, contentType: contentType, metadata: [:], length: Int64(body.readableBytes)),
            accountId: accountId, body: ByteBufferSequence(body))
    }
}
