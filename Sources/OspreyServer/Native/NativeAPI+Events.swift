import Foundation
import HTTPTypes
import Hummingbird
import OspreyCore
import OspreyServices
import ServiceLifecycle

/// `GET /api/v1/events` (Server-Sent Events) and `/api/v1/webhooks`.
extension NativeAPI {
    /// How long an event stream may stay silent before it sends a `: keep-alive` comment.
    static let keepAliveInterval: Duration = .seconds(15)

    /// The caller's account's events as Server-Sent Events, from after `Last-Event-ID` or `?after=`, else from now on.
    ///
    /// Each event is `id: <sequence>`, `event: <type>`, `data: <EventJSON>`. The stream ends on graceful shutdown; a client
    /// reconnects with `Last-Event-ID` and misses nothing.
    func eventStream(_ request: Request, accountId: String) async throws -> Response {
        let start = try await startSequence(request)
        let elements = events.watch(after: start, accountId: accountId).cancelOnGracefulShutdown()
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": stream of account \(accountId) after \(start)\n\n"))
            var lastWrite = ContinuousClock.now
            for try await element in elements {
                switch element {
                case .event(let event):
                    try await writer.write(ByteBuffer(string: Self.serverSentEvent(event)))
                    lastWrite = .now
                case .idle:
                    guard ContinuousClock.now - lastWrite >= Self.keepAliveInterval else { continue }
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// One SSE message. Types and JSON hold no line breaks (`EventJSON` removes them), so each field is one line.
    static func serverSentEvent(_ event: StoredEvent) -> String {
        let type = event.event.type.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return "id: \(event.sequence)\nevent: \(type)\ndata: \(EventJSON.render(event))\n\n"
    }

    private func startSequence(_ request: Request) async throws -> Int64 {
        if let header = request.headers[HTTPField.Name("Last-Event-ID")!] {
            guard let sequence = Int64(header.trimmingCharacters(in: .whitespaces)), sequence >= 0 else {
                throw OspreyError(.validation, "Last-Event-ID must be an event id (a non-negative integer).")
            }
            return sequence
        }
        if let after = request.uri.queryParameters["after"] {
            guard let sequence = Int64(after), sequence >= 0 else {
                throw OspreyError(.validation, "after must be an event id (a non-negative integer).")
            }
            return sequence
        }
        return try await events.currentEnd()
    }

    func createWebhook(_ auth: AuthenticatedRequest) async throws -> Response {
        let body = try await auth.collectBody(limit: 64 << 10)
        guard let input = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw OspreyError(.validation, #"The body must be a JSON object like {"url": "https://example.com/hook", "events": []}."#)
        }
        guard let url = input["url"] as? String else { throw OspreyError(.validation, "url is required: the URL to POST events to.") }
        let types: [String]
        switch input["events"] {
        case nil, is NSNull: types = []
        case let list as [String]: types = list
        default: throw OspreyError(.validation, "events must be a list of event type names (empty for all).")
        }
        let created = try await webhooks.create(accountId: auth.principal.accountId, url: url, eventTypes: types)
        var described = Self.describe(created.webhook)
        described["secret"] = created.secret
        return try Self.json(described, status: .created)
    }

    static func describe(_ webhook: Webhook) -> [String: Any] {
        [
            "id": webhook.id, "url": webhook.url, "events": webhook.eventTypes, "cursor": webhook.cursor,
            "createdAt": ISO8601DateFormatter().string(from: webhook.createdAt),
        ]
    }
}
