import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OspreyCore
import Testing

@testable import OspreyServer

/// `/api/v1/secrets` on the in-process responder over a real SQLite store.
@Suite struct SecretsAdapterTests {
    static let account = Deployment.rootAccount

    /// `AdapterTests.withServer`, with the server's parts at hand to read what was stored.
    static func withServer(_ test: @Sendable (any TestClientProtocol, ServerComponents) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-secrets-\(UUID().uuidString)").path
        var configuration = ServerConfiguration(dataDir: folder)
        configuration.rootAccessKeyId = AdapterTests.keyId
        configuration.rootSecretAccessKey = AdapterTests.secret
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let parts = try await ServerComponents.make(configuration: configuration, logger: logger)
        do {
            try await Application(responder: parts.responder).test(.router) { try await test($0, parts) }
        } catch {
            await parts.store.close()
            throw error
        }
        await parts.store.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    static func headers(_ contentType: String = "application/octet-stream") -> HTTPFields {
        var headers = AdapterTests.bearer
        headers[.contentType] = contentType
        return headers
    }

    /// The answer's JSON object; empty when it is not one.
    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    @Test func putCreatesThenReplacesAndNoAnswerHoldsTheValue() async throws {
        try await Self.withServer { client, parts in
            let value = "p4ss-w0rd\nwith a newline"
            let path = "/api/v1/secrets/team/db.password"
            try await client.execute(uri: path, method: .put, headers: Self.headers(), body: ByteBuffer(string: value)) {
                #expect($0.status == .created)
                #expect($0.headers[.contentType] == "application/json")
                let answer = Self.json($0)
                #expect(answer["name"] as? String == "team/db.password" && answer["created"] as? Bool == true)
                #expect(!String(buffer: $0.body).contains("p4ss"))
            }
            // `/` escaped as %2F names the same secret; a text/plain body is taken as it is.
            try await client.execute(
                uri: "/api/v1/secrets/team%2Fdb.password", method: .put, headers: Self.headers("text/plain"), body: ByteBuffer(string: "second")
            ) {
                #expect($0.status == .ok)
                #expect(Self.json($0)["created"] as? Bool == false)
            }
            let secrets = parts.responder.native.secrets
            #expect(try await secrets.value(accountId: Self.account, name: "team/db.password") == "second")
            try await client.execute(uri: "/api/v1/secrets/API_TOKEN", method: .put, headers: Self.headers(), body: ByteBuffer(string: value)) {
                #expect($0.status == .created)
            }
            #expect(try await secrets.value(accountId: Self.account, name: "API_TOKEN") == value)

            try await client.execute(uri: "/api/v1/secrets", method: .get, headers: AdapterTests.bearer) { response in
                #expect(response.status == .ok)
                #expect(!String(buffer: response.body).contains("p4ss") && !String(buffer: response.body).contains("second"))
                let listed = Self.json(response)["secrets"] as? [[String: Any]] ?? []
                #expect(listed.map { $0["name"] as? String } == ["API_TOKEN", "team/db.password"])
                #expect(listed.allSatisfy { Set($0.keys) == ["name", "createdAt", "updatedAt"] })
            }
        }
    }

    @Test func deleteAnswers204ThenA404Problem() async throws {
        try await Self.withServer { client, _ in
            try await client.execute(uri: "/api/v1/secrets/gone", method: .put, headers: Self.headers(), body: ByteBuffer(string: "v")) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/api/v1/secrets/gone", method: .delete, headers: AdapterTests.bearer) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/api/v1/secrets/gone", method: .delete, headers: AdapterTests.bearer) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let problem = Self.json(response)
                #expect(problem["status"] as? Int == 404 && problem["title"] as? String == "ResourceNotFound")
            }
            try await client.execute(uri: "/api/v1/secrets", method: .get, headers: AdapterTests.bearer) {
                #expect((Self.json($0)["secrets"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func badNamesBodiesAndCredentialsAreRefused() async throws {
        try await Self.withServer { client, parts in
            try await client.execute(uri: "/api/v1/secrets/has%20space", method: .put, headers: Self.headers(), body: ByteBuffer(string: "v")) {
                #expect($0.status == .badRequest)
                #expect((Self.json($0)["detail"] as? String)?.contains("Invalid secret name 'has space'") == true)
            }
            try await client.execute(uri: "/api/v1/secrets/empty", method: .put, headers: Self.headers()) { response in
                #expect(response.status == .badRequest)
                #expect((Self.json(response)["detail"] as? String)?.contains("empty") == true)
            }
            try await client.execute(
                uri: "/api/v1/secrets/binary", method: .put, headers: Self.headers(), body: ByteBuffer(bytes: [0x66, 0xFF, 0xFE])
            ) { response in
                #expect(response.status == .badRequest)
                #expect((Self.json(response)["detail"] as? String)?.contains("UTF-8") == true)
            }
            let tooLarge = ByteBuffer(repeating: UInt8(ascii: "a"), count: (64 << 10) + 1)
            try await client.execute(uri: "/api/v1/secrets/large", method: .put, headers: Self.headers(), body: tooLarge) {
                #expect($0.status == .contentTooLarge)
            }
            let largest = ByteBuffer(repeating: UInt8(ascii: "a"), count: 64 << 10)
            try await client.execute(uri: "/api/v1/secrets/large", method: .put, headers: Self.headers(), body: largest) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/api/v1/secrets/x", method: .put, body: ByteBuffer(string: "v")) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/secrets", method: .get) { #expect($0.status == .unauthorized) }
            let names = try await parts.responder.native.secrets.list(accountId: Self.account).map(\.name)
            #expect(names == ["large"])
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
                let paths = Self.json(response)["paths"] as? [String: Any] ?? [:]
                #expect(paths["/api/v1/secrets"] != nil && paths["/api/v1/secrets/{name}"] != nil)
            }
        }
    }
}
