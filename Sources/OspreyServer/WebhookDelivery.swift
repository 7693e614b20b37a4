import AsyncHTTPClient
import Foundation
import NIOCore
import OspreyServices
import ServiceLifecycle

/// Webhook delivery as a service of the server: it starts with it and stops on graceful shutdown.
struct WebhookDispatcher: Service {
    let deliverer: WebhookDeliverer

    func run() async throws {
        await cancelWhenGracefulShutdown { await deliverer.run() }
    }

    /// How long one delivery attempt may take, connection and answer included.
    static let attemptTimeout: TimeAmount = .seconds(10)

    /// The client for deliveries: a refused connection fails at once (and is retried with backoff) instead of for 10 s.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// POSTs one webhook request; returns the status. The answer's body is read and dropped.
    @Sendable static func send(url: URL, headers: [String: String], body: [UInt8]) async throws -> Int {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: attemptTimeout)
        _ = try? await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}
