import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OspreyCore
import Testing

@testable import OspreyServer

/// The server's responder driven in-process (no sockets) over a real SQLite store and a real folder.
@Suite struct AdapterTests {
    static let keyId = "AKIDADAPTERTEST00001"
    static let secret = "adapter-secret-adapter-secret-0123456789"

    static func withServer(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-adapter-\(UUID().uuidString)").path
        var configuration = ServerConfiguration(dataDir: folder)
        configuration.rootAccessKeyId = keyId
        configuration.rootSecretAccessKey = secret
        let parts = try await ServerComponents.make(configuration: configuration, logger: Logger(label: "test"))
        let app = Application(responder: parts.responder)
        do {
            try await app.test(.router, test)
        } catch {
            await parts.store.close()
            throw error
        }
        await parts.store.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    static var bearer: HTTPFields { [.authorization: "Bearer \(secret)"] }

    @Test func requestsWithoutCredentialsAreDeniedInS3XML() async throws {
        try await Self.withServer { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.contentType] == "application/xml")
                let body = String(buffer: response.body)
                #expect(body.contains("<Code>AccessDenied</Code>"))
                #expect(response.headers[HTTPField.Name("x-amz-request-id")!] != nil)
                #expect(body.contains("<RequestId>\(response.headers[HTTPField.Name("x-amz-request-id")!]!)</RequestId>"))
            }
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer wrong-wrong-wrong-wrong"]) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("UnrecognizedClientException"))
            }
            let basic = Data("\(Self.keyId):nope".utf8).base64EncodedString()
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Basic \(basic)"]) { response in
                #expect(response.status == .forbidden)
            }
        }
    }

    @Test func bucketsAndObjectsWithBearerAndBasicTokens() async throws {
        try await Self.withServer { client in
            try await client.execute(uri: "/adapter-bucket", method: .put, headers: Self.bearer) { #expect($0.status == .ok) }
            let basic = Data("\(Self.keyId):\(Self.secret)".utf8).base64EncodedString()
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Basic \(basic)"]) { response in
                #expect(String(buffer: response.body).contains("<Name>adapter-bucket</Name>"))
            }
            var headers = Self.bearer
            headers[.contentType] = "text/plain"
            headers[HTTPField.Name("x-amz-meta-owner")!] = "me"
            try await client.execute(uri: "/adapter-bucket/a%20b/c.txt", method: .put, headers: headers, body: ByteBuffer(string: "hello")) {
                #expect($0.status == .ok)
                #expect($0.headers[.eTag] == "\"5d41402abc4b2a76b9719d911017c592\"")
            }
            var ranged = Self.bearer
            ranged[.range] = "bytes=1-3"
            try await client.execute(uri: "/adapter-bucket/a%20b/c.txt", method: .get, headers: ranged) { response in
                #expect(response.status == .partialContent)
                #expect(String(buffer: response.body) == "ell")
                #expect(response.headers[.contentRange] == "bytes 1-3/5")
                #expect(response.headers[HTTPField.Name("x-amz-meta-owner")!] == "me")
                #expect(response.headers[.contentType] == "text/plain")
            }
            try await client.execute(uri: "/adapter-bucket?list-type=2&prefix=a%20", method: .get, headers: Self.bearer) { response in
                #expect(String(buffer: response.body).contains("<Key>a b/c.txt</Key>"))
                #expect(String(buffer: response.body).contains("<KeyCount>1</KeyCount>"))
            }
        }
    }

    @Test func headOfAMissingBucketIsABare404() async throws {
        try await Self.withServer { client in
            try await client.execute(uri: "/no-such-bucket", method: .head, headers: Self.bearer) { response in
                #expect(response.status == .notFound)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/no-such-bucket/key", method: .get, headers: Self.bearer) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("<Code>NoSuchBucket</Code>"))
            }
        }
    }

    @Test func badDigestsStoreNothing() async throws {
        try await Self.withServer { client in
            try await client.execute(uri: "/digests", method: .put, headers: Self.bearer) { #expect($0.status == .ok) }
            var md5 = Self.bearer
            md5[.contentMD5] = Data(Insecure.MD5.hash(data: Data("other".utf8))).base64EncodedString()
            try await client.execute(uri: "/digests/k", method: .put, headers: md5, body: ByteBuffer(string: "hello")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("<Code>BadDigest</Code>"))
            }
            var crc = Self.bearer
            crc[HTTPField.Name("x-amz-checksum-crc32")!] = "AAAAAA=="
            try await client.execute(uri: "/digests/k", method: .put, headers: crc, body: ByteBuffer(string: "hello")) { response in
                #expect(String(buffer: response.body).contains("<Code>BadDigest</Code>"))
            }
            try await client.execute(uri: "/digests/k", method: .head, headers: Self.bearer) { #expect($0.status == .notFound) }
            var good = Self.bearer
            good[HTTPField.Name("x-amz-checksum-crc32")!] = "NhCmhg=="  // CRC32("hello")
            try await client.execute(uri: "/digests/k", method: .put, headers: good, body: ByteBuffer(string: "hello")) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("x-amz-checksum-crc32")!] == "NhCmhg==")
            }
        }
    }

    @Test func malformedCompleteMultipartUploadChangesNothing() async throws {
        try await Self.withServer { client in
            try await client.execute(uri: "/multi", method: .put, headers: Self.bearer) { #expect($0.status == .ok) }
            let uploadId = try await client.execute(uri: "/multi/big?uploads", method: .post, headers: Self.bearer) { response in
                let body = String(buffer: response.body)
                return String(body.split(separator: "<UploadId>")[1].split(separator: "<")[0])
            }
            try await client.execute(
                uri: "/multi/big?uploadId=\(uploadId)", method: .post, headers: Self.bearer, body: ByteBuffer(string: "<CompleteMultipartUpload><Part>")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("<Code>MalformedXML</Code>"))
            }
            try await client.execute(uri: "/multi?uploads", method: .get, headers: Self.bearer) { response in
                #expect(String(buffer: response.body).contains("<UploadId>\(uploadId)</UploadId>"))
            }
        }
    }

    @Test func reservedBucketNamesAreRefused() async throws {
        try await Self.withServer { client in
            for name in ["api", "healthz", "metrics", "v2", "endpoints"] {
                try await client.execute(uri: "/\(name)", method: .put, headers: Self.bearer) { response in
                    #expect(response.status == .badRequest, "\(name)")
                    #expect(String(buffer: response.body).contains("<Code>InvalidBucketName</Code>"), "\(name)")
                }
            }
        }
    }

    @Test func nativeAPIKeysOpenAPIAndProblems() async throws {
        try await Self.withServer { client in
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
                let document = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(document?["openapi"] as? String == "3.1.0")
                #expect((document?["paths"] as? [String: Any])?["/api/v1/keys"] != nil)
            }
            try await client.execute(uri: "/api/v1/nothing-here", method: .get, headers: Self.bearer) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let problem = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(problem?["status"] as? Int == 404)
            }
            try await client.execute(uri: "/api/v1/keys", method: .get) { #expect($0.status == .unauthorized) }
            let created = try await client.execute(
                uri: "/api/v1/keys", method: .post, headers: Self.bearer, body: ByteBuffer(string: #"{"description":"ci"}"#)
            ) { response in
                #expect(response.status == .created)
                return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
            }
            let userSecret = try #require(created["secretAccessKey"] as? String)
            // A key that is not an admin may not make keys.
            try await client.execute(
                uri: "/api/v1/keys", method: .post, headers: [.authorization: "Bearer \(userSecret)"], body: ByteBuffer(string: "{}")
            ) { #expect($0.status == .forbidden) }
            let id = try #require(created["accessKeyId"] as? String)
            try await client.execute(uri: "/api/v1/keys/\(id)", method: .delete, headers: Self.bearer) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer \(userSecret)"]) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test func healthReadinessAndMetrics() async throws {
        try await Self.withServer { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get, headers: Self.bearer) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/metrics", method: .get, headers: Self.bearer) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"osprey_requests_total{protocol="s3",operation="ListBuckets",status="200"}"#))
                #expect(text.contains("osprey_request_duration_seconds_bucket"))
            }
        }
    }
}
