import Foundation
import NIOCore
import OspreyCore
import Testing

@testable import OspreyServing

@Suite struct WorkerFrameTests {
    @Test func roundTripsAndWaitsForWholeFrames() throws {
        let body = ByteBuffer(bytes: (0..<1000).map { UInt8($0 % 251) })
        var stream = WorkerFrame.encode(header: "{\"id\":1}", body: body)
        stream.writeImmutableBuffer(WorkerFrame.encode(header: "{\"id\":2,\"ping\":true}", body: ByteBuffer()))
        let whole = stream

        // Fed one byte at a time, each frame appears exactly when its last byte arrives.
        var received = ByteBuffer()
        var frames: [WorkerFrame] = []
        var completedAt: [Int] = []
        for (index, byte) in whole.readableBytesView.enumerated() {
            received.writeInteger(byte)
            while let frame = try WorkerFrame.read(from: &received) {
                frames.append(frame)
                completedAt.append(index + 1)
            }
        }
        #expect(frames.map { String(buffer: $0.header) } == ["{\"id\":1}", "{\"id\":2,\"ping\":true}"])
        #expect(frames.map(\.body) == [body, ByteBuffer()])
        #expect(completedAt == [8 + 8 + 1000, whole.readableBytes])
        #expect(received.readableBytes == 0)

        // Both at once from one buffer.
        var all = whole
        #expect(try WorkerFrame.read(from: &all)?.body == body)
        #expect(try WorkerFrame.read(from: &all)?.header == ByteBuffer(string: "{\"id\":2,\"ping\":true}"))
        #expect(try WorkerFrame.read(from: &all) == nil)
    }

    @Test func incompleteFramesConsumeNothing() throws {
        let frame = WorkerFrame.encode(header: "{}", body: ByteBuffer(string: "hello"))
        for length in 0..<frame.readableBytes {
            var partial = frame.getSlice(at: 0, length: length)!
            #expect(try WorkerFrame.read(from: &partial) == nil)
            #expect(partial.readableBytes == length)
        }
    }

    @Test func rejectsAbsurdLengths() {
        var header = ByteBuffer()
        header.writeInteger(UInt32(WorkerFrame.maxHeaderBytes + 1), endianness: .big)
        #expect(throws: OspreyError.self) { try WorkerFrame.read(from: &header) }
        var body = WorkerFrame.encode(header: "{}", body: ByteBuffer(string: "0123456789"))
        #expect(throws: OspreyError.self) { try WorkerFrame.read(from: &body, maxBodyBytes: 9) }
    }

    @Test func requestHeadersAreJSONWithEscapes() throws {
        let tricky = "a\"b\\c\nd\u{1}é→"
        let request = InvocationRequest(
            body: ByteBuffer(string: "xyz"), contentType: "application/json", accept: tricky, customAttributes: "k=v", targetModel: nil
        )
        var buffer = ByteBuffer()
        WorkerRequest.invoke(request).writeHeader(id: 42, into: &buffer)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
        #expect(object["id"] as? Int == 42)
        #expect(object["content_type"] as? String == "application/json")
        #expect(object["accept"] as? String == tricky)
        #expect(object["custom_attributes"] as? String == "k=v")
        #expect(object["target_model"] == nil)

        buffer.clear()
        let batch = WorkerRequest.batch([request, InvocationRequest(body: ByteBuffer(string: "12345"), contentType: "text/csv")])
        #expect(batch.bodyLength == 8)
        batch.writeHeader(id: 7, into: &buffer)
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
        let items = try #require(decoded["batch"] as? [[String: Any]])
        #expect(items.map { $0["length"] as? Int } == [3, 5])
        #expect(items.map { $0["content_type"] as? String } == ["application/json", "text/csv"])

        buffer.clear()
        WorkerRequest.ping.writeHeader(id: 9, into: &buffer)
        #expect(String(buffer: buffer) == "{\"id\":9,\"ping\":true}")
    }

    @Test func replyHeadersDecode() throws {
        let decoder = JSONDecoder()
        let single = try WorkerReplyHeader.decode(ByteBuffer(string: #"{"id": 3, "status": 415, "content_type": "text/plain"}"#), with: decoder)
        #expect(single == WorkerReplyHeader(id: 3, status: 415, contentType: "text/plain"))
        let batch = try WorkerReplyHeader.decode(
            ByteBuffer(string: #"{"id": 4, "batch": [{"status": 200, "content_type": "application/json", "length": 2}]}"#), with: decoder
        )
        #expect(batch.batch == [.init(status: 200, contentType: "application/json", length: 2)])
        let ready = try WorkerReplyHeader.decode(ByteBuffer(string: #"{"ready": false, "error": "ValueError: x"}"#), with: decoder)
        #expect(ready.ready == false && ready.error == "ValueError: x")
        #expect(throws: (any Error).self) { try WorkerReplyHeader.decode(ByteBuffer(string: "not json"), with: decoder) }
    }
}
