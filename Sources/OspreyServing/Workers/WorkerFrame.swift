import NIOCore
import OspreyCore

/// One message between the router and a Python worker (see the top of `osprey_worker.py`):
/// `u32 big-endian header length | header JSON (UTF-8) | u32 big-endian body length | body`.
struct WorkerFrame: Sendable, Equatable {
    var header: ByteBuffer
    var body: ByteBuffer

    /// Headers are a few hundred bytes; anything near this is a broken stream.
    static let maxHeaderBytes = 1 << 24

    /// The next whole frame at the reader index of `buffer`, consumed; nil (nothing consumed) while it is incomplete.
    /// The header and body are slices of `buffer`, not copies. Throws `.internalError` for a header over `maxHeaderBytes`
    /// or a body over `maxBodyBytes`.
    static func read(from buffer: inout ByteBuffer, maxBodyBytes: Int = Int(UInt32.max)) throws -> WorkerFrame? {
        let start = buffer.readerIndex
        guard let headerLength = buffer.getInteger(at: start, endianness: .big, as: UInt32.self).map(Int.init) else { return nil }
        guard headerLength <= maxHeaderBytes else {
            throw OspreyError(.internalError, "A worker frame announced a \(headerLength)-byte header; the stream is broken.")
        }
        let bodyLengthAt = start + 4 + headerLength
        guard let bodyLength = buffer.getInteger(at: bodyLengthAt, endianness: .big, as: UInt32.self).map(Int.init) else { return nil }
        guard bodyLength <= maxBodyBytes else {
            throw OspreyError(.internalError, "A worker frame announced a \(bodyLength)-byte body, over the limit of \(maxBodyBytes).")
        }
        guard buffer.readableBytes >= 8 + headerLength + bodyLength,
            let header = buffer.getSlice(at: start + 4, length: headerLength),
            let body = buffer.getSlice(at: bodyLengthAt + 4, length: bodyLength)
        else { return nil }
        buffer.moveReaderIndex(forwardBy: 8 + headerLength + bodyLength)
        return WorkerFrame(header: header, body: body)
    }

    /// Appends the frame's length prefixes and header to `buffer`; the caller writes the body after it (as its own buffer,
    /// so it is never copied). `writeHeader` appends the header's bytes.
    static func writePrefix(into buffer: inout ByteBuffer, bodyLength: Int, writeHeader: (inout ByteBuffer) -> Void) {
        let lengthAt = buffer.writerIndex
        buffer.writeInteger(UInt32(0), endianness: .big)
        writeHeader(&buffer)
        buffer.setInteger(UInt32(buffer.writerIndex - lengthAt - 4), at: lengthAt, endianness: .big)
        buffer.writeInteger(UInt32(bodyLength), endianness: .big)
    }

    /// The whole frame in one buffer (tests and small messages).
    static func encode(header: String, body: ByteBuffer, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 8 + header.utf8.count + body.readableBytes)
        writePrefix(into: &buffer, bodyLength: body.readableBytes) { $0.writeString(header) }
        var body = body
        buffer.writeBuffer(&body)
        return buffer
    }
}

/// Splits a worker's byte stream into `WorkerFrame`s.
struct WorkerFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = WorkerFrame

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try WorkerFrame.read(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
