import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import OspreyCore

extension Osprey {
    /// `osprey events`: follows the account's event stream (`GET /api/v1/events`).
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the account's events as they happen (Server-Sent Events lines) until interrupted.",
            discussion: "Reconnects after a dropped connection and resumes after the last event printed."
        )
        @OptionGroup var client: ClientOptions
        @Option(help: "Start after this event id (default: only new events).") var after: Int64?

        func run() async throws {
            try await runClient {
                let (id, secret) = try client.credentials()
                var stream = EventStreamClient(endpoint: client.resolvedEndpoint, keyId: id, secret: secret, lastEventId: after)
                try await stream.follow { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
            }
        }
    }
}

/// Reads `GET /api/v1/events` and hands on its lines (comments left out), reconnecting with `Last-Event-ID`.
struct EventStreamClient {
    let endpoint: String
    let keyId: String
    let secret: String
    /// The id of the last event seen; the next connection resumes after it.
    var lastEventId: Int64?

    /// Runs until the task is cancelled or the server refuses the request (that error is thrown).
    mutating func follow(_ emit: (String) -> Void) async throws {
        var delay: Duration = .milliseconds(500)
        while !Task.isCancelled {
            do {
                try await connectOnce(emit)
                delay = .milliseconds(500)
            } catch let error as OspreyError where error.code != .unavailable {
                throw error
            } catch {
                if Task.isCancelled { return }
                FileHandle.standardError.write(Data("osprey: event stream interrupted (\(error)); reconnecting\n".utf8))
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(30))
        }
    }

    private mutating func connectOnce(_ emit: (String) -> Void) async throws {
        var request = HTTPClientRequest(url: endpoint + "/api/v1/events")
        request.headers.add(name: "Authorization", value: "Basic " + Data("\(keyId):\(secret)".utf8).base64EncodedString())
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventId { request.headers.add(name: "Last-Event-ID", value: String(lastEventId)) }
        let response: HTTPClientResponse
        do {
            response = try await CLIHTTP.client.execute(request, timeout: .seconds(30))
        } catch {
            throw OspreyError(.unavailable, "Cannot reach \(endpoint): \(error)")
        }
        guard response.status.code == 200 else {
            let body = try await response.body.collect(upTo: 1 << 20)
            let problem = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
            throw OspreyError(
                OspreyError.Code(rawValue: problem?["title"] as? String ?? "HTTP\(response.status.code)"),
                problem?["detail"] as? String ?? "The server answered \(response.status)."
            )
        }
        var pending: [UInt8] = []
        var eventId: Int64?
        var inEvent = false
        for try await chunk in response.body {
            pending.append(contentsOf: chunk.readableBytesView)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                var line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if line.hasSuffix("\r") { line.removeLast() }
                if line.hasPrefix(":") { continue }
                if line.isEmpty {
                    // The blank line ends an event, which then counts as seen: a stream cut inside one resumes before it.
                    guard inEvent else { continue }
                    if let eventId { lastEventId = eventId }
                    eventId = nil
                    inEvent = false
                } else {
                    inEvent = true
                    if line.hasPrefix("id: ") { eventId = Int64(line.dropFirst(4)) }
                }
                emit(line)
            }
        }
    }
}
