import Foundation
import OspreyCore
import OspreyServices

/// Puts a container's model where its workers see `/opt/ml/model`.
struct ModelStager: Sendable {
    let objects: ObjectService

    /// Fills `<folder>/model` from the container's model data (an extracted archive, or the objects under a prefix), and
    /// `model/code` from `SAGEMAKER_SUBMIT_DIRECTORY` when it names an archive in S3. Returns the variables the workers get.
    ///
    /// Throws `.validation` saying what is wrong with the model data (missing, not an archive, an entry escaping its folder);
    /// only `folder` is written.
    func stage(_ container: ModelContainer, accountId: String, into folder: String) async throws -> [String: String] {
        let model = folder + "/model"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        var environment = container.environment
        if let data = container.modelData {
            guard container.mode == .singleModel else {
                throw OspreyError(.validation, "Multi-model endpoints (Mode MultiModel) are not served by Osprey yet.")
            }
            let uri = try S3URI(data.uri, field: "ModelDataUrl")
            if data.isPrefix {
                try await copyPrefix(uri, into: model, accountId: accountId)
            } else {
                try await extractArchive(uri, into: model, scratch: folder + "/model.tar.gz", accountId: accountId)
            }
        }
        if let source = environment["SAGEMAKER_SUBMIT_DIRECTORY"], source.hasPrefix("s3://") {
            try await extractArchive(try S3URI(source, field: "SAGEMAKER_SUBMIT_DIRECTORY"), into: model + "/code",
                                     scratch: folder + "/sourcedir.tar.gz", accountId: accountId)
            environment["SAGEMAKER_SUBMIT_DIRECTORY"] = "/opt/ml/model/code"
        }
        return environment
    }

    private func extractArchive(_ uri: S3URI, into target: String, scratch: String, accountId: String) async throws {
        let record: ObjectRecord
        do {
            record = try await objects.object(bucket: uri.bucket, key: uri.key, accountId: accountId)
        } catch let error as OspreyError where [.noSuchKey, .noSuchBucket, .notFound].contains(error.code) {
            throw OspreyError(.validation, "Could not find model data at \(uri).")
        }
        try await objects.download(record, to: scratch, accountId: accountId)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do {
            try TarArchive.extract(scratch, into: target)
        } catch let error as OspreyError {
            // The reason without the server's own paths.
            let reason = error.message.replacingOccurrences(of: scratch, with: "the archive")
            throw OspreyError(
                .validation, "Failed to extract model data archive from URL \"\(uri)\": \(reason) "
                    + "Please ensure that the object located at the URL is a valid tar.gz archive.")
        }
    }

    private func copyPrefix(_ uri: S3URI, into target: String, accountId: String) async throws {
        let prefix = uri.key.isEmpty || uri.key.hasSuffix("/") ? uri.key : uri.key + "/"
        let keys = try await objects.allKeys(bucket: uri.bucket, prefix: prefix, accountId: accountId)
        guard !keys.isEmpty else { throw OspreyError(.validation, "Could not find model data at \(uri): the prefix holds no objects.") }
        for key in keys {
            let record = try await objects.object(bucket: uri.bucket, key: key, accountId: accountId)
            try await objects.download(record, to: target + "/" + (try relativePath(of: key, under: prefix)), accountId: accountId)
        }
    }
}
