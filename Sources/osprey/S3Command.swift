import ArgumentParser
import Foundation
import NIOCore
import OspreyArtifacts
import OspreyCore
import _NIOFileSystem

extension Osprey {
    /// `osprey s3 ls|cp|mb|rb`: the everyday object commands, against Osprey or any S3-compatible store.
    struct S3: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with buckets and objects.", subcommands: [List.self, Copy.self, MakeBucket.self, RemoveBucket.self]
        )

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List buckets, or objects under s3://bucket/prefix.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "s3://bucket[/prefix]; buckets when omitted.") var target: String?
            @Flag(help: "List every key under the prefix, not one level.") var recursive = false

            func run() async throws {
                try await runClient {
                    let s3 = try client.s3Client()
                    guard let target else {
                        for bucket in try await s3.listBuckets() { print(bucket) }
                        return
                    }
                    let location = try S3Location(target)
                    let listing = try await s3.listObjects(bucket: location.bucket, prefix: location.key, delimiter: recursive ? nil : "/")
                    for prefix in listing.commonPrefixes { print("                           PRE \(prefix)") }
                    for object in listing.objects {
                        print("\(S3Location.format(object.lastModified)) \(String(object.size).leftPadded(12)) \(object.key)")
                    }
                }
            }
        }

        struct Copy: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "cp", abstract: "Copy a file to or from s3://bucket/key.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "A local path or s3://bucket/key.") var source: String
            @Argument(help: "A local path or s3://bucket/key (a trailing / keeps the file name).") var destination: String

            func run() async throws {
                try await runClient {
                    let s3 = try client.s3Client()
                    switch (source.hasPrefix("s3://"), destination.hasPrefix("s3://")) {
                    case (false, true):
                        var target = try S3Location(destination)
                        if target.key.isEmpty || target.key.hasSuffix("/") { target.key += (source as NSString).lastPathComponent }
                        try await Transfers.upload(file: source, to: target, with: s3)
                    case (true, false):
                        let from = try S3Location(source)
                        var path = destination
                        if path.hasSuffix("/") || isDirectory(path) { path += "/" + (from.key as NSString).lastPathComponent }
                        try await Transfers.download(from, to: path, with: s3)
                    case (true, true):
                        let from = try S3Location(source)
                        let to = try S3Location(destination)
                        try await s3.copyObject(sourceBucket: from.bucket, sourceKey: from.key, bucket: to.bucket, key: to.key)
                        print("copy: \(source) to \(destination)")
                    case (false, false):
                        throw ValidationError("One of the two paths must be an s3:// URL.")
                    }
                }
            }

            private func isDirectory(_ path: String) -> Bool {
                var directory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
            }
        }

        struct MakeBucket: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "mb", abstract: "Create a bucket.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "s3://bucket") var bucket: String

            func run() async throws {
                try await runClient {
                    let location = try S3Location(bucket)
                    try await client.s3Client().createBucket(location.bucket)
                    print("make_bucket: \(location.bucket)")
                }
            }
        }

        struct RemoveBucket: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rb", abstract: "Remove an empty bucket.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "s3://bucket") var bucket: String

            func run() async throws {
                try await runClient {
                    let location = try S3Location(bucket)
                    try await client.s3Client().deleteBucket(location.bucket)
                    print("remove_bucket: \(location.bucket)")
                }
            }
        }
    }
}

extension ClientOptions {
    func s3Client() throws -> S3Client {
        let (id, secret) = try credentials()
        let region = ProcessInfo.processInfo.environment["AWS_REGION"] ?? ProcessInfo.processInfo.environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        return S3Client(endpoint: resolvedEndpoint, region: region, accessKeyId: id, secretAccessKey: secret, httpClient: CLIHTTP.client)
    }
}

/// `s3://bucket/key` split into its parts.
struct S3Location {
    var bucket: String
    var key: String

    init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    init(_ url: String) throws {
        guard url.hasPrefix("s3://") else { throw ValidationError("'\(url)' is not an s3://bucket/key URL.") }
        let rest = url.dropFirst("s3://".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty else { throw ValidationError("'\(url)' names no bucket.") }
        bucket = String(first)
        key = parts.count > 1 ? String(parts[1]) : ""
    }

    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
