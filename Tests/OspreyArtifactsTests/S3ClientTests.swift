import AsyncHTTPClient
import Foundation
import NIOCore
import OspreyCore
import Testing

@testable import OspreyArtifacts

extension AgainstOspreyServer {
    @Suite("S3Client against osprey server")
    struct S3ClientTests {
        let s3: S3Client

        init() throws {
            s3 = try AgainstOspreyServer.server().client()
        }

        /// Creates a bucket for one test, runs `body`, then empties and deletes it.
        func withBucket(_ hint: String, _ body: (String) async throws -> Void) async throws {
            let bucket = AgainstOspreyServer.bucketName(hint)
            try await s3.createBucket(bucket)
            do {
                try await body(bucket)
            } catch {
                try? await empty(bucket)
                throw error
            }
            try await empty(bucket)
        }

        private func empty(_ bucket: String) async throws {
            for object in try await s3.listObjects(bucket: bucket).objects { try await s3.deleteObject(bucket: bucket, key: object.key) }
            try await s3.deleteBucket(bucket)
        }

        func put(_ bucket: String, _ key: String, _ text: String, contentType: String? = nil) async throws -> String {
            let body = ByteBuffer(string: text)
            return try await s3.putObject(
                bucket: bucket, key: key, contentType: contentType, length: Int64(body.readableBytes), body: ChunkedBody(chunks: [body])
            )
        }

        func get(_ bucket: String, _ key: String, range: Range<Int64>? = nil) async throws -> String {
            var all = ByteBuffer()
            try await s3.getObject(bucket: bucket, key: key, range: range) { chunk in
                var chunk = chunk
                all.writeBuffer(&chunk)
            }
            return String(buffer: all)
        }

        func expectCode(_ code: OspreyError.Code, _ body: () async throws -> some Any, sourceLocation: SourceLocation = #_sourceLocation) async {
            do {
                _ = try await body()
                Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
            } catch let error as OspreyError {
                #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
                #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
            } catch {
                Issue.record("expected OspreyError(\(code)), got \(error)", sourceLocation: sourceLocation)
            }
        }

        @Test func bucketsAreCreatedListedAndDeleted() async throws {
            let bucket = AgainstOspreyServer.bucketName("buckets")
            #expect(try await s3.headBucket(bucket) == false)
            try await s3.createBucket(bucket)
            #expect(try await s3.headBucket(bucket))
            #expect(try await s3.listBuckets().contains(bucket))
            await expectCode(.bucketAlreadyOwnedByYou) { try await s3.createBucket(bucket) }
            _ = try await put(bucket, "k", "v")
            await expectCode(.bucketNotEmpty) { try await s3.deleteBucket(bucket) }
            try await s3.deleteObject(bucket: bucket, key: "k")
            try await s3.deleteBucket(bucket)
            #expect(try await s3.headBucket(bucket) == false)
            #expect(try await !s3.listBuckets().contains(bucket))
            await expectCode(.noSuchBucket) { try await s3.deleteBucket(bucket) }
        }

        @Test func putGetHeadDelete() async throws {
            try await withBucket("objects") { bucket in
                let etag = try await put(bucket, "data/train.csv", "x,y\n1,2\n", contentType: "text/csv")
                #expect(etag.count == 32 && !etag.contains("\""), "an unquoted MD5 hex ETag, got \(etag)")
                #expect(try await get(bucket, "data/train.csv") == "x,y\n1,2\n")
                let info = try #require(try await s3.headObject(bucket: bucket, key: "data/train.csv"))
                #expect(info.key == "data/train.csv")
                #expect(info.size == 8)
                #expect(info.etag == etag)
                #expect(info.contentType == "text/csv")
                #expect(abs(info.lastModified.timeIntervalSinceNow) < 300)
                _ = try await put(bucket, "data/train.csv", "replaced")
                #expect(try await get(bucket, "data/train.csv") == "replaced")
                try await s3.deleteObject(bucket: bucket, key: "data/train.csv")
                #expect(try await s3.headObject(bucket: bucket, key: "data/train.csv") == nil)
                try await s3.deleteObject(bucket: bucket, key: "data/train.csv")
            }
        }

        @Test func emptyObject() async throws {
            try await withBucket("empty") { bucket in
                _ = try await put(bucket, "nothing", "")
                #expect(try await s3.headObject(bucket: bucket, key: "nothing")?.size == 0)
                #expect(try await get(bucket, "nothing") == "")
            }
        }

        @Test func rangedGet() async throws {
            try await withBucket("ranges") { bucket in
                _ = try await put(bucket, "digits", "0123456789")
                #expect(try await get(bucket, "digits", range: 2..<5) == "234")
                #expect(try await get(bucket, "digits", range: 7..<100) == "789")
                #expect(try await get(bucket, "digits", range: 9..<Int64.max) == "9")
                #expect(try await get(bucket, "digits", range: 4..<4) == "")
                await expectCode(.invalidRange) { try await get(bucket, "digits", range: 10..<20) }
            }
        }

        @Test func copyObject() async throws {
            try await withBucket("copy") { bucket in
                let target = AgainstOspreyServer.bucketName("copy-target")
                try await s3.createBucket(target)
                _ = try await put(bucket, "src/a b.txt", "payload", contentType: "text/plain")
                let etag = try await s3.copyObject(sourceBucket: bucket, sourceKey: "src/a b.txt", bucket: target, key: "dst/ü+.txt")
                #expect(!etag.isEmpty && !etag.contains("\""))
                #expect(try await get(target, "dst/ü+.txt") == "payload")
                #expect(try await s3.headObject(bucket: target, key: "dst/ü+.txt")?.contentType == "text/plain")
                await expectCode(.noSuchKey) {
                    try await s3.copyObject(sourceBucket: bucket, sourceKey: "missing", bucket: target, key: "x")
                }
                try await s3.deleteObject(bucket: target, key: "dst/ü+.txt")
                try await s3.deleteBucket(target)
            }
        }

        @Test func listingWithPrefixesAndDelimiters() async throws {
            try await withBucket("list") { bucket in
                let keys = ["a.txt", "dir/b.txt", "dir/sub/c.txt", "dir/sub/d.txt", "dir2/e.txt", "z"]
                for key in keys { _ = try await put(bucket, key, key) }
                let all = try await s3.listObjects(bucket: bucket)
                #expect(all.objects.map(\.key) == keys)
                #expect(all.commonPrefixes.isEmpty)
                #expect(all.objects.first { $0.key == "dir/b.txt" }?.size == 9)
                #expect(all.objects.allSatisfy { $0.etag.count == 32 && $0.contentType == nil })
                let top = try await s3.listObjects(bucket: bucket, delimiter: "/")
                #expect(top.objects.map(\.key) == ["a.txt", "z"])
                #expect(top.commonPrefixes == ["dir/", "dir2/"])
                let dir = try await s3.listObjects(bucket: bucket, prefix: "dir/", delimiter: "/")
                #expect(dir.objects.map(\.key) == ["dir/b.txt"])
                #expect(dir.commonPrefixes == ["dir/sub/"])
                let partial = try await s3.listObjects(bucket: bucket, prefix: "dir")
                #expect(partial.objects.map(\.key) == ["dir/b.txt", "dir/sub/c.txt", "dir/sub/d.txt", "dir2/e.txt"])
                #expect(try await s3.listObjects(bucket: bucket, prefix: "nope").objects.isEmpty)
            }
        }

        @Test func listingFollowsContinuationTokens() async throws {
            try await withBucket("pages") { bucket in
                let keys = (0..<23).map { String(format: "k/%02d", $0) } + (0..<5).map { "k/d\($0)/x" }
                for key in keys { try await s3.putObject(bucket: bucket, key: key, length: 0, body: ChunkedBody(chunks: [])) }
                let paged = try await s3.listObjects(bucket: bucket, prefix: "k/", delimiter: nil, pageSize: 4)
                #expect(paged.objects.map(\.key) == keys)
                let rolledUp = try await s3.listObjects(bucket: bucket, prefix: "k/", delimiter: "/", pageSize: 4)
                #expect(rolledUp.objects.map(\.key) == Array(keys.prefix(23)))
                #expect(rolledUp.commonPrefixes == (0..<5).map { "k/d\($0)/" })
                #expect(try await s3.listObjects(bucket: bucket, prefix: "k/", delimiter: nil, pageSize: 1).objects.count == keys.count)
            }
        }

        @Test(arguments: ["with space.txt", "ünïcödé/ファイル.bin", "plus+sign", "all !\"#$%&'()*+,:;<=>?@[\\]^`{|}~ü", "tab\tand\nnewline"])
        func awkwardKeys(key: String) async throws {
            try await withBucket("keys") { bucket in
                _ = try await put(bucket, "dir/" + key, key)
                #expect(try await get(bucket, "dir/" + key) == key)
                #expect(try await s3.headObject(bucket: bucket, key: "dir/" + key)?.size == Int64(key.utf8.count))
                #expect(try await s3.listObjects(bucket: bucket, prefix: "dir/").objects.map(\.key) == ["dir/" + key])
                #expect(try await s3.listObjects(bucket: bucket, prefix: "dir/" + key).objects.map(\.key) == ["dir/" + key])
                try await s3.copyObject(sourceBucket: bucket, sourceKey: "dir/" + key, bucket: bucket, key: "copy/" + key)
                #expect(try await get(bucket, "copy/" + key) == key)
                try await s3.deleteObject(bucket: bucket, key: "dir/" + key)
                #expect(try await s3.headObject(bucket: bucket, key: "dir/" + key) == nil)
            }
        }

        @Test func streamedPutOfUnknownLength() async throws {
            try await withBucket("stream") { bucket in
                let body = GeneratedBody(count: 2 << 20, chunkSize: 100_000)
                let etag = try await s3.putObject(bucket: bucket, key: "blob", length: nil, body: body)
                #expect(!etag.isEmpty)
                #expect(try await s3.headObject(bucket: bucket, key: "blob")?.size == 2 << 20)
                var digest = StreamDigest()
                try await s3.getObject(bucket: bucket, key: "blob") { digest.add($0) }
                #expect(digest.bytes == 2 << 20)
                #expect(digest.hex == (try await body.sha256()))
            }
        }

        @Test func failingBodyStoresNothing() async throws {
            try await withBucket("failing") { bucket in
                let chunk = ByteBuffer(repeating: 1, count: 256 << 10)
                for length in [nil, Int64(1 << 20)] {
                    await #expect(throws: BodyFailure.self) {
                        try await s3.putObject(bucket: bucket, key: "partial", length: length, body: FailingBody(chunks: [chunk, chunk]))
                    }
                    let stored = try await s3.headObject(bucket: bucket, key: "partial")
                    #expect(stored == nil, "length \(String(describing: length))")
                }
            }
        }

        @Test func wrongLengthIsRefusedByTheClient() async throws {
            try await withBucket("length") { bucket in
                await #expect(throws: (any Error).self) {
                    try await s3.putObject(bucket: bucket, key: "short", length: 10, body: ChunkedBody(chunks: [ByteBuffer(string: "abc")]))
                }
                let stored = try await s3.headObject(bucket: bucket, key: "short")
                #expect(stored == nil)
            }
        }

        @Test func errorsAreMapped() async throws {
            let missingBucket = AgainstOspreyServer.bucketName("missing")
            await expectCode(.noSuchBucket) { try await get(missingBucket, "k") }
            await expectCode(.noSuchBucket) { try await s3.listObjects(bucket: missingBucket) }
            await expectCode(.noSuchBucket) { try await put(missingBucket, "k", "v") }
            #expect(try await s3.headObject(bucket: missingBucket, key: "k") == nil)
            try await withBucket("errors") { bucket in
                await expectCode(.noSuchKey) { try await get(bucket, "missing") }
                await expectCode(.noSuchKey) { try await get(bucket, "missing", range: 0..<1) }
            }
        }

        @Test func wrongCredentialsAreRefused() async throws {
            let server = try AgainstOspreyServer.server()
            let wrongSecret = S3Client(
                endpoint: server.endpoint, region: "us-east-1", accessKeyId: OspreyTestServer.accessKeyId,
                secretAccessKey: String(repeating: "x", count: 40)
            )
            await expectCode(.signatureDoesNotMatch) { try await wrongSecret.listBuckets() }
            let unknownKey = S3Client(
                endpoint: server.endpoint, region: "us-east-1", accessKeyId: "AKIDUNKNOWN000000000", secretAccessKey: "s"
            )
            await expectCode(.invalidAccessKeyId) { try await unknownKey.listBuckets() }
            await expectCode(.accessDenied) { try await unknownKey.headBucket("any") }
        }
    }
}

@Suite("S3Client without a server")
struct S3ClientOfflineTests {
    @Test func unreachableEndpointIsUnavailable() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        defer { _ = httpClient.shutdown() }
        let s3 = S3Client(endpoint: "http://127.0.0.1:1", region: "us-east-1", accessKeyId: "a", secretAccessKey: "s", httpClient: httpClient)
        let error = await #expect(throws: OspreyError.self) { try await s3.listBuckets() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.hasPrefix("Cannot reach http://127.0.0.1:1: ") == true, "\(String(describing: error))")
        let headError = await #expect(throws: OspreyError.self) { try await s3.headBucket("b") }
        #expect(headError?.code == .unavailable)
    }

    @Test func invalidEndpointIsReportedByTheFirstCall() async throws {
        let s3 = S3Client(endpoint: "localhost:9000", region: "us-east-1", accessKeyId: "a", secretAccessKey: "s")
        let error = await #expect(throws: OspreyError.self) { try await s3.listBuckets() }
        #expect(error?.code == .validation)
        #expect(throws: OspreyError.self) {
            try S3ArtifactStore(client: s3, bucket: "b")
        }
    }
}
