import Foundation
import NIOCore

/// What the router asks a Python worker, as the header JSON of a frame (see `osprey_worker.py`).
enum WorkerRequest: Sendable {
    case invoke(InvocationRequest)
    case batch([InvocationRequest])
    case ping

    /// The frame body's length: the request's body, or every batch item's body one after the other.
    var bodyLength: Int {
        switch self {
        case .invoke(let request): request.body.readableBytes
        case .batch(let requests): requests.reduce(0) { $0 + $1.body.readableBytes }
        case .ping: 0
        }
    }

    /// Appends the header JSON for call `id` (written by hand: this is every request's path).
    func writeHeader(id: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"id\":")
        buffer.writeString(String(id))
        switch self {
        case .ping:
            buffer.writeStaticString(",\"ping\":true")
        case .invoke(let request):
            Self.writeFields(of: request, into: &buffer)
        case .batch(let requests):
            buffer.writeStaticString(",\"batch\":[")
            for (index, request) in requests.enumerated() {
                buffer.writeStaticString(index == 0 ? "{" : ",{")
                buffer.writeStaticString("\"length\":")
                buffer.writeString(String(request.body.readableBytes))
                Self.writeFields(of: request, into: &buffer)
                buffer.writeStaticString("}")
            }
            buffer.writeStaticString("]")
        }
        buffer.writeStaticString("}")
    }

    /// `,"content_type":…` and the other present fields (each preceded by a comma).
    private static func writeFields(of request: InvocationRequest, into buffer: inout ByteBuffer) {
        writeField("content_type", request.contentType, into: &buffer)
        writeField("accept", request.accept, into: &buffer)
        writeField("custom_attributes", request.customAttributes, into: &buffer)
        writeField("target_model", request.targetModel, into: &buffer)
    }

    private static func writeField(_ key: StaticString, _ value: String?, into buffer: inout ByteBuffer) {
        guard let value else { return }
        buffer.writeStaticString(",\"")
        buffer.writeStaticString(key)
        buffer.writeStaticString("\":")
        writeJSONString(value, into: &buffer)
    }

    /// `value` as a JSON string literal: quotes, backslashes and control characters escaped, other UTF-8 as it is.
    static func writeJSONString(_ value: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(byte)
            case 0..<0x20:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hexDigit(byte >> 4))
                buffer.writeInteger(hexDigit(byte & 0xF))
            default:
                buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10 }
}

/// A worker's header: the ready message, or the answer to one call.
struct WorkerReplyHeader: Decodable, Sendable, Equatable {
    struct Item: Decodable, Sendable, Equatable {
        var status: Int
        var contentType: String?
        var customAttributes: String?
        var length: Int

        enum CodingKeys: String, CodingKey {
            case status, length
            case contentType = "content_type"
            case customAttributes = "custom_attributes"
        }
    }

    var id: UInt64?
    var status: Int?
    var contentType: String?
    var customAttributes: String?
    var batch: [Item]?
    var ready: Bool?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case id, status, batch, ready, error
        case contentType = "content_type"
        case customAttributes = "custom_attributes"
    }

    static func decode(_ header: ByteBuffer, with decoder: JSONDecoder) throws -> WorkerReplyHeader {
        try decoder.decode(WorkerReplyHeader.self, from: Data(header.readableBytesView))
    }
}

/// A decoded answer: its header and body.
struct WorkerReply: Sendable {
    var header: WorkerReplyHeader
    var body: ByteBuffer
}
