import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import OspreyCore
import OspreyStore
import ServiceLifecycle
import Testing

let eventsTestLogger: Logger = {
    var logger = Logger(label: "osprey.events.tests")
    logger.logLevel = .error
    return logger
}()

/// Runs `body` with a real SQLite metadata store in a fresh temporary folder, closed and removed afterwards.
func withEventStore<T>(_ body: (SQLMetadataStore) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-events-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = try await SQLMetadataStore.open(url: "sqlite:" + folder.appendingPathComponent("metadata.db").path, logger: eventsTestLogger)
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

func testEvent(_ type: String, account: String, resource: String = "arn:aws:s3:::b", detail: String = #"{"n":1}"#) -> NewEvent {
    NewEvent(type: type, accountId: account, resource: resource, detail: detail, time: Date(timeIntervalSince1970: 1_700_000_000))
}

/// Waits until `condition` holds, polling every 20 ms; fails the test after `timeout`.
func eventually(
    _ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// One POST a `WebhookReceiver` got, and the status it answered.
struct ReceivedHook: Sendable {
    var headers: [String: String]
    var body: [UInt8]
    var status: Int

    var eventId: Int64? { headers["x-osprey-event-id"].flatMap { Int64($0) } }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }

    /// True when `X-Osprey-Signature` is the HMAC-SHA256 of `timestamp.body` under `secret`.
    func signatureVerifies(secret: String) -> Bool {
        guard let timestamp = headers["x-osprey-timestamp"], let signature = headers["x-osprey-signature"] else { return false }
        let signed = Data(timestamp.utf8) + Data(".".utf8) + Data(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return signature == "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// A real HTTP server on a loopback port that records webhook POSTs, failing the first `failFirst` and answering 503 while
/// `failing` is set.
actor WebhookReceiver {
    private(set) var received: [ReceivedHook] = []
    var failFirst: Int
    var failing = false
    private var serviceGroup: ServiceGroup?
    private(set) var port = 0

    init(failFirst: Int = 0) {
        self.failFirst = failFirst
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var delivered: [ReceivedHook] { received.filter { (200..<300).contains($0.status) } }

    func setFailing(_ value: Bool) { failing = value }

    /// Starts the server; returns once it listens.
    func start() async throws {
        let router = Router()
        router.post("/hook") { [self] request, _ -> Response in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let body = try await request.body.collect(upTo: 1 << 20)
            let status = await self.record(headers: headers, body: Array(body.readableBytesView))
            return Response(status: .init(code: status))
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }, logger: eventsTestLogger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: eventsTestLogger))
        serviceGroup = group
        Task { try await group.run() }
        for await port in ports {
            self.port = port
            break
        }
    }

    func stop() async {
        await serviceGroup?.triggerGracefulShutdown()
    }

    private func record(headers: [String: String], body: [UInt8]) -> Int {
        let status: Int
        if failFirst > 0 {
            failFirst -= 1
            status = 500
        } else {
            status = failing ? 503 : 200
        }
        received.append(ReceivedHook(headers: headers, body: body, status: status))
        return status
    }
}

/// One Server-Sent Event as a client reads it.
struct ServerSentEvent: Sendable {
    var id: Int64?
    var type: String?
    var data: String
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] }
}

/// Reads `GET /api/v1/events` from a live server with AsyncHTTPClient.
struct EventStreamReader {
    let status: Int
    let contentType: String?
    var errorBody: String = ""
    private var iterator: HTTPClientResponse.Body.AsyncIterator?
    private var pending: [UInt8] = []
    /// Comment lines seen so far (`: keep-alive` and the opening comment).
    private(set) var comments: [String] = []

    init(endpoint: String, keyId: String, secret: String, query: String = "", lastEventId: Int64? = nil) async throws {
        var request = HTTPClientRequest(url: endpoint + "/api/v1/events" + query)
        request.headers.add(name: "Authorization", value: "Basic " + Data("\(keyId):\(secret)".utf8).base64EncodedString())
        if let lastEventId { request.headers.add(name: "Last-Event-ID", value: String(lastEventId)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        status = Int(response.status.code)
        contentType = response.headers.first(name: "content-type")
        if status == 200 {
            iterator = response.body.makeAsyncIterator()
        } else {
            let body = try await response.body.collect(upTo: 1 << 20)
            errorBody = String(buffer: body)
        }
    }

    /// The next event, or nil when the server ended the stream.
    mutating func next() async throws -> ServerSentEvent? {
        var event = ServerSentEvent(data: "")
        var hasFields = false
        while true {
            guard let line = try await nextLine() else { return nil }
            if line.isEmpty {
                if hasFields { return event }
                continue
            }
            if line.hasPrefix(":") {
                comments.append(line)
                continue
            }
            hasFields = true
            if line.hasPrefix("id: ") { event.id = Int64(line.dropFirst(4)) }
            if line.hasPrefix("event: ") { event.type = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { event.data += String(line.dropFirst(6)) }
        }
    }

    private mutating func nextLine() async throws -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            guard var iterator, let chunk = try await iterator.next() else { return nil }
            self.iterator = iterator
            pending.append(contentsOf: chunk.readableBytesView)
        }
    }
}
