import Foundation
import Logging
import NIOCore
import OspreyCore
import Synchronization
import Testing

@testable import OspreyServing

/// Data capture: SageMaker's record format and S3 layout, sampling, batching and the flush at close.
@Suite struct DataCaptureTests {
    /// Keeps what a capture writes.
    final class Collected: CaptureSink {
        let writes = Mutex<[(bucket: String, key: String, account: String, body: String)]>([])

        func writeCapture(bucket: String, key: String, accountId: String, body: ByteBuffer) async throws {
            writes.withLock { $0.append((bucket, key, accountId, String(buffer: body))) }
        }
    }

    static let settings = DataCaptureSettings(
        samplingPercentage: 100, destination: "s3://captures/prefix/", csvContentTypes: ["text/csv"], jsonContentTypes: ["application/json"])

    static func event(_ body: String, type: String?, answer: [UInt8], answerType: String?, at seconds: TimeInterval = 1_700_000_000)
        -> DataCapture.Event
    {
        DataCapture.Event(
            variant: "blue", id: "e1", time: Date(timeIntervalSince1970: seconds),
            input: InvocationRequest(body: ByteBuffer(string: body), contentType: type, accept: "application/json"),
            output: InvocationResponse(status: 200, body: ByteBuffer(bytes: answer), contentType: answerType))
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func recordsHaveSageMakersShape() throws {
        let line = CaptureFormat.line(
            Self.event("1,2,3", type: "text/csv", answer: Array(#"{"y": 1}"#.utf8), answerType: "application/json; charset=utf-8"),
            settings: Self.settings)
        #expect(!line.contains("\n"))
        let record = try Self.object(line)
        #expect(record["eventVersion"] as? String == "0")
        let metadata = try #require(record["eventMetadata"] as? [String: String])
        #expect(metadata == ["eventId": "e1", "inferenceTime": "2023-11-14T22:13:20Z"])
        let data = try #require(record["captureData"] as? [String: [String: String]])
        #expect(data["endpointInput"] == ["observedContentType": "text/csv", "mode": "INPUT", "data": "1,2,3", "encoding": "CSV"])
        #expect(
            data["endpointOutput"]
                == ["observedContentType": "application/json; charset=utf-8", "mode": "OUTPUT", "data": #"{"y": 1}"#, "encoding": "JSON"])
    }

    @Test func unlistedTypesAndBinaryAreBase64() throws {
        var settings = Self.settings
        settings.capturesInput = false
        let binary: [UInt8] = [0xff, 0x00, 0xfe]
        let line = CaptureFormat.line(Self.event("x", type: "application/x-npy", answer: binary, answerType: "text/csv"), settings: settings)
        let data = try #require(try Self.object(line)["captureData"] as? [String: [String: String]])
        #expect(data["endpointInput"] == nil)
        #expect(data["endpointOutput"]?["encoding"] == "BASE64")
        #expect(data["endpointOutput"]?["data"] == Data(binary).base64EncodedString())
        #expect(CaptureFormat.encoding(of: "application/x-npy", body: ByteBuffer(string: "x"), settings: settings) == "BASE64")
        #expect(CaptureFormat.encoding(of: "Text/CSV; charset=utf-8", body: ByteBuffer(string: "x"), settings: settings) == "CSV")
        #expect(
            CaptureFormat.encoding(
                of: "text/csv", body: ByteBuffer(string: "x"), settings: DataCaptureSettings(samplingPercentage: 1, destination: "s3://b"))
                == "BASE64")
    }

    @Test func layoutIsEndpointVariantAndHourInUTC() {
        #expect(CaptureFormat.location("s3://captures/prefix/")! == ("captures", "prefix"))
        #expect(CaptureFormat.location("s3://captures")! == ("captures", ""))
        #expect(CaptureFormat.location("s3://captures//a//b")! == ("captures", "a/b"))
        #expect(CaptureFormat.location("https://captures") == nil)
        let time = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14 22:13:20 UTC
        #expect(CaptureFormat.folder(prefix: "prefix", endpoint: "ep", variant: "blue", time: time) == "prefix/ep/blue/2023/11/14/22/")
        #expect(CaptureFormat.folder(prefix: "", endpoint: "ep", variant: "blue", time: time) == "ep/blue/2023/11/14/22/")
    }

    @Test func samplingFollowsThePercentage() async {
        #expect(!DataCapture.sampled(0, draw: 0))
        #expect(DataCapture.sampled(100, draw: 99.999))
        #expect(DataCapture.sampled(30, draw: 29.9) && !DataCapture.sampled(30, draw: 30))
        let counter = Mutex(0)
        let sink = Collected()
        var settings = Self.settings
        settings.samplingPercentage = 25
        let capture = DataCapture(
            settings: settings, endpointName: "ep", accountId: "000000000000", sink: sink, logger: Logger(label: "test"), batchSize: 1000,
            draw: {
                counter.withLock { value in
                    defer { value += 1 }
                    return Double(value % 100)
                }
            })
        for _ in 0..<400 {
            capture.record(
                variant: "blue", request: InvocationRequest(body: ByteBuffer()), response: InvocationResponse(status: 200, body: ByteBuffer()))
        }
        // Failed invocations are not captured (and draw nothing).
        capture.record(variant: "blue", request: InvocationRequest(body: ByteBuffer()), response: InvocationResponse(status: 500, body: ByteBuffer()))
        #expect(counter.withLock { $0 } == 400)
        await capture.close()
        #expect(sink.writes.withLock { $0.map { $0.body.split(separator: "\n").count }.reduce(0, +) } == 100)
        #expect(DataCapture.start(settings, endpointName: "ep", accountId: "a", sink: sink, logger: Logger(label: "t")) != nil)
        settings.enabled = false
        #expect(DataCapture.start(settings, endpointName: "ep", accountId: "a", sink: sink, logger: Logger(label: "t")) == nil)
        #expect(DataCapture.start(nil, endpointName: "ep", accountId: "a", sink: sink, logger: Logger(label: "t")) == nil)
    }

    @Test func closeWritesOneObjectPerVariantAsJSONLines() async throws {
        let sink = Collected()
        let capture = DataCapture(
            settings: Self.settings, endpointName: "ep", accountId: "111122223333", sink: sink, logger: Logger(label: "test"), batchSize: 1000)
        let request = InvocationRequest(body: ByteBuffer(string: "[1]"), contentType: "application/json")
        for index in 0..<3 {
            capture.record(
                variant: index == 1 ? "green" : "blue", request: request,
                response: InvocationResponse(status: 200, body: ByteBuffer(string: "\(index)")))
        }
        #expect(sink.writes.withLock { $0.isEmpty })
        await capture.close()
        capture.record(variant: "blue", request: request, response: InvocationResponse(status: 200, body: ByteBuffer(string: "late")))
        await capture.flush()
        let writes = sink.writes.withLock { $0 }.sorted { $0.key < $1.key }
        #expect(writes.count == 2)
        #expect(writes.allSatisfy { $0.bucket == "captures" && $0.account == "111122223333" && $0.body.hasSuffix("\n") })
        let pattern = /prefix\/ep\/(blue|green)\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.jsonl/
        #expect(writes.allSatisfy { $0.key.wholeMatch(of: pattern) != nil }, "\(writes.map(\.key))")
        let blue = try #require(writes.first { $0.key.contains("/blue/") })
        let lines = blue.body.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let outputs = try lines.map { try Self.object($0)["captureData"] as? [String: [String: String]] }.map { $0?["endpointOutput"]?["data"] }
        #expect(outputs == ["0", "2"])
    }

    @Test func aFullBatchIsWrittenWithoutWaitingForClose() async throws {
        let sink = Collected()
        let capture = DataCapture(
            settings: Self.settings, endpointName: "ep", accountId: "a", sink: sink, logger: Logger(label: "test"), batchSize: 2)
        for _ in 0..<2 {
            capture.record(
                variant: "blue", request: InvocationRequest(body: ByteBuffer()), response: InvocationResponse(status: 200, body: ByteBuffer()))
        }
        for _ in 0..<500 where sink.writes.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sink.writes.withLock { $0.count } == 1)
        await capture.close()
    }
}
