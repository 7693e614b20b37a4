import Foundation
import Logging
import NIOCore
import OspreyArtifacts
public import OspreyCore
public import OspreyServices
import Synchronization

/// Where captured invocations go: one object per flush.
public protocol CaptureSink: Sendable {
    func writeCapture(bucket: String, key: String, accountId: String, body: ByteBuffer) async throws
}

extension ObjectService: CaptureSink {
    public func writeCapture(bucket: String, key: String, accountId: String, body: ByteBuffer) async throws {
        _ = try await putObject(
            .init(bucket: bucket, key: key, contentType: "application/jsonlines", metadata: [:], length: Int64(body.readableBytes)),
            accountId: accountId, body: ByteBufferSequence(body))
    }
}

/// One fleet's data capture (`DataCaptureConfig`): samples successful invocations and keeps them in memory; a background
/// task writes them as JSON Lines, one object per variant and hour, every `interval` or `batchSize` records, and `close()`
/// writes what is left. Recording never waits for storage: it takes a lock and appends.
final class DataCapture: Sendable {
    /// One sampled invocation, encoded only when written.
    struct Event: Sendable {
        var variant: String
        var id: String
        var time: Date
        var input: InvocationRequest
        var output: InvocationResponse
    }

    private struct State {
        var pending: [Event] = []
        var closed = false
        var dropped = 0
    }

    let settings: DataCaptureSettings
    let endpointName: String
    let accountId: String
    private let sink: any CaptureSink
    private let logger: Logger
    private let batchSize: Int
    private let draw: @Sendable () -> Double
    private let state = Mutex(State())
    private let timer = Mutex<Task<Void, Never>?>(nil)

    /// The capture of `settings`, or nil when there is none or it is disabled (nothing to record, no task to run).
    static func start(
        _ settings: DataCaptureSettings?, endpointName: String, accountId: String, sink: any CaptureSink, logger: Logger,
        interval: Duration = .seconds(5), batchSize: Int = 1000
    ) -> DataCapture? {
        guard let settings, settings.enabled, settings.samplingPercentage > 0, settings.capturesInput || settings.capturesOutput else {
            return nil
        }
        let capture = DataCapture(
            settings: settings, endpointName: endpointName, accountId: accountId, sink: sink, logger: logger, batchSize: batchSize)
        capture.timer.withLock {
            $0 = Task { [weak capture] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let capture else { return }
                    await capture.flush()
                }
            }
        }
        return capture
    }

    init(
        settings: DataCaptureSettings, endpointName: String, accountId: String, sink: any CaptureSink, logger: Logger, batchSize: Int,
        draw: @escaping @Sendable () -> Double = { Double.random(in: 0..<100) }
    ) {
        self.settings = settings
        self.endpointName = endpointName
        self.accountId = accountId
        self.sink = sink
        self.logger = logger
        self.batchSize = max(1, batchSize)
        self.draw = draw
    }

    /// Keeps the invocation when it succeeded and the draw samples it. Never suspends; a full batch is written by a task.
    func record(variant: String, request: InvocationRequest, response: InvocationResponse) {
        guard (200..<300).contains(response.status), Self.sampled(settings.samplingPercentage, draw: draw()) else { return }
        let event = Event(variant: variant, id: UUID().uuidString.lowercased(), time: Date(), input: request, output: response)
        let full = state.withLock { state -> Bool in
            // Past ten batches waiting (storage is failing or slow), new events are dropped rather than memory growing.
            guard !state.closed, state.pending.count < batchSize * 10 else {
                state.dropped += 1
                return false
            }
            state.pending.append(event)
            return state.pending.count == batchSize
        }
        if full { Task { await self.flush() } }
    }

    /// Writes every pending event: one object per variant and hour of inference time. A failed write is logged and its
    /// events are lost (as SageMaker drops capture under pressure); the invocations they came from were answered long ago.
    func flush() async {
        let (events, dropped) = state.withLock { state in
            defer {
                state.pending = []
                state.dropped = 0
            }
            return (state.pending, state.dropped)
        }
        if dropped > 0 {
            logger.warning("Data capture dropped events", metadata: ["endpoint": "\(endpointName)", "dropped": "\(dropped)"])
        }
        guard !events.isEmpty, let location = CaptureFormat.location(settings.destination) else { return }
        var groups: [String: [Event]] = [:]
        var order: [String] = []
        for event in events {
            let folder = CaptureFormat.folder(prefix: location.prefix, endpoint: endpointName, variant: event.variant, time: event.time)
            if groups[folder] == nil { order.append(folder) }
            groups[folder, default: []].append(event)
        }
        for folder in order {
            let lines = groups[folder]!.map { CaptureFormat.line($0, settings: settings) }
            let key = folder + UUID().uuidString.lowercased() + ".jsonl"
            do {
                try await sink.writeCapture(
                    bucket: location.bucket, key: key, accountId: accountId, body: ByteBuffer(string: lines.joined(separator: "\n") + "\n"))
            } catch {
                logger.warning(
                    "Data capture could not write s3://\(location.bucket)/\(key)",
                    metadata: ["endpoint": "\(endpointName)", "events": "\(lines.count)", "error": "\(error)"])
            }
        }
    }

    /// Stops the periodic writes and writes what is pending; later records are ignored.
    func close() async {
        timer.withLock { $0?.cancel() }
        state.withLock { $0.closed = true }
        await flush()
    }

    /// Whether a draw in `0..<100` falls within `percentage`.
    static func sampled(_ percentage: Int, draw: Double) -> Bool { draw < Double(percentage) }
}

/// SageMaker's capture layout and record format, without I/O.
enum CaptureFormat {
    /// The bucket and key prefix (no leading or trailing `/`) of `s3://bucket[/prefix]`.
    static func location(_ uri: String) -> (bucket: String, prefix: String)? {
        guard uri.hasPrefix("s3://") else { return nil }
        let rest = uri.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else { return nil }
        let prefix = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
        return (String(bucket), prefix)
    }

    /// `{prefix}/{endpoint}/{variant}/{yyyy}/{mm}/{dd}/{hh}/` in UTC.
    static func folder(prefix: String, endpoint: String, variant: String, time: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour], from: time)
        let path = String(format: "%04d/%02d/%02d/%02d/", parts.year!, parts.month!, parts.day!, parts.hour!)
        return (prefix.isEmpty ? "" : prefix + "/") + "\(endpoint)/\(variant)/" + path
    }

    /// `CSV` or `JSON` when the content type is listed for it and the body is UTF-8 text, else `BASE64`.
    static func encoding(of contentType: String, body: ByteBuffer, settings: DataCaptureSettings) -> String {
        let media = mediaType(contentType)
        let kind: String
        if settings.csvContentTypes.contains(where: { mediaType($0) == media }) {
            kind = "CSV"
        } else if settings.jsonContentTypes.contains(where: { mediaType($0) == media }) {
            kind = "JSON"
        } else {
            return "BASE64"
        }
        return String(validatingUTF8Bytes: body.readableBytesView) == nil ? "BASE64" : kind
    }

    /// One line: `{"captureData": {"endpointInput"?, "endpointOutput"?}, "eventMetadata": {...}, "eventVersion": "0"}`.
    static func line(_ event: DataCapture.Event, settings: DataCaptureSettings) -> String {
        var data: [String: JSONValue] = [:]
        if settings.capturesInput {
            let type = event.input.contentType ?? "application/octet-stream"
            data["endpointInput"] = payload(type, event.input.body, mode: "INPUT", settings: settings)
        }
        if settings.capturesOutput {
            let type = event.output.contentType ?? event.input.accept.flatMap { $0 == "*/*" ? nil : $0 } ?? "application/json"
            data["endpointOutput"] = payload(type, event.output.body, mode: "OUTPUT", settings: settings)
        }
        let metadata: JSONValue = .object([
            "eventId": .string(event.id), "inferenceTime": .string(event.time.formatted(.iso8601)),
        ])
        return JSONValue.object(["captureData": .object(data), "eventMetadata": metadata, "eventVersion": .string("0")]).text
    }

    private static func payload(_ contentType: String, _ body: ByteBuffer, mode: String, settings: DataCaptureSettings) -> JSONValue {
        let encoding = encoding(of: contentType, body: body, settings: settings)
        let text = encoding == "BASE64" ? Data(body.readableBytesView).base64EncodedString() : String(buffer: body)
        return .object([
            "observedContentType": .string(contentType), "mode": .string(mode), "data": .string(text), "encoding": .string(encoding),
        ])
    }

    private static func mediaType(_ contentType: String) -> String {
        contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
    }
}

extension String {
    /// The bytes as a String when they are valid UTF-8; nil otherwise (never repaired).
    fileprivate init?(validatingUTF8Bytes bytes: ByteBufferView) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
