import ArgumentParser
import Foundation
import Logging
import NIOCore
import OspreyArtifacts
import OspreyCore
import OspreyServer

extension Osprey {
    /// `osprey quickstart`: starts a server on the embedded default (own free port, fresh data dir) and walks through the main job.
    ///
    /// Until training lands, the main job is an S3 round trip with a SigV4-signed client, as boto3 would make it.
    struct Quickstart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the whole main job on a fresh embedded server and exit.")

        @Option(name: .customLong("data-dir"), help: "Data folder to use (default: a new temporary folder).") var dataDir: String?

        func run() async throws {
            let folder = dataDir ?? NSTemporaryDirectory() + "osprey-quickstart-" + UUID().uuidString.prefix(8).lowercased()
            var configuration = ServerConfiguration(dataDir: folder)
            configuration.port = 0
            configuration.rootAccessKeyId = "OSPKQUICKSTART000001"
            configuration.rootSecretAccessKey = (0..<40).map { _ in String("abcdefghijklmnopqrstuvwxyz0123456789".randomElement()!) }.joined()
            configuration.logLevel = "warning"
            let port = PortBox()
            var logger = Logger(label: "osprey")
            logger.logLevel = .warning
            let server = OspreyServer(configuration: configuration, logger: logger)
            let serverTask = Task { try await server.run { await port.set($0, stop: $1) } }
            defer { serverTask.cancel() }
            guard let bound = await port.wait(seconds: 60) else {
                serverTask.cancel()
                _ = try? await serverTask.value
                throw OspreyError(.unavailable, "The quickstart server did not start.")
            }
            let endpoint = "http://127.0.0.1:\(bound)"
            print("Osprey is running at \(endpoint) (data in \(folder))")
            try await runClient {
                try await roundTrip(endpoint: endpoint, configuration: configuration)
            }
            await port.stop()
            try await serverTask.value
            print("Done. Point boto3 or awscli at a server of your own with `osprey server` and AWS_ENDPOINT_URL.")
        }

        private func roundTrip(endpoint: String, configuration: ServerConfiguration) async throws {
            let s3 = S3Client(
                endpoint: endpoint, region: "us-east-1", accessKeyId: configuration.rootAccessKeyId!,
                secretAccessKey: configuration.rootSecretAccessKey!
            )
            let bucket = "quickstart"
            try await s3.createBucket(bucket)
            print("1. created bucket s3://\(bucket)")
            let rows = (0..<100).map { "\($0),\(Double($0) * 0.5 + 1)" }.joined(separator: "\n")
            let body = ByteBuffer(string: "x,y\n" + rows + "\n")
            let etag = try await s3.putObject(
                bucket: bucket, key: "data/train.csv", contentType: "text/csv", length: Int64(body.readableBytes), body: [body].async
            )
            print("2. uploaded s3://\(bucket)/data/train.csv (\(body.readableBytes) bytes, ETag \(etag))")
            let listing = try await s3.listObjects(bucket: bucket, prefix: "data/", delimiter: nil)
            print("3. listed s3://\(bucket)/data/: \(listing.objects.map(\.key).joined(separator: ", "))")
            var downloaded = ByteBuffer()
            try await s3.getObject(bucket: bucket, key: "data/train.csv", range: nil) { chunk in
                var chunk = chunk
                downloaded.writeBuffer(&chunk)
            }
            guard downloaded == body else { throw OspreyError(.internalError, "The downloaded object differs from the uploaded one.") }
            print("4. downloaded it again: \(downloaded.readableBytes) bytes, identical")
        }
    }
}

/// Hands the bound port and the way to stop from the server task to the command.
actor PortBox {
    private var port: Int?
    private var stopServer: (@Sendable () async -> Void)?

    func set(_ port: Int, stop: @escaping @Sendable () async -> Void) {
        self.port = port
        self.stopServer = stop
    }

    func stop() async { await stopServer?() }

    func wait(seconds: Int) async -> Int? {
        for _ in 0..<(seconds * 20) {
            if let port { return port }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}

extension Array where Element == ByteBuffer {
    /// The buffers as an async sequence (for request bodies).
    var async: AsyncBuffers { AsyncBuffers(buffers: self) }
}

struct AsyncBuffers: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffers: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var index = 0
        let buffers: [ByteBuffer]
        mutating func next() async -> ByteBuffer? {
            guard index < buffers.count else { return nil }
            defer { index += 1 }
            return buffers[index]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffers: buffers) }
}
