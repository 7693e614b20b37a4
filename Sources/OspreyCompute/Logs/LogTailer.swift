import Glibc
import OspreyCore

/// One line of a job's log.
public struct LogLine: Sendable, Hashable {
    /// The text without its newline (and without a trailing `\r`); invalid UTF-8 becomes U+FFFD.
    public var text: String
    /// The byte offset in the file where the line starts.
    public var offset: UInt64
}

/// What one read of a log brought.
public struct LogChunk: Sendable, Hashable {
    public var lines: [LogLine]
    /// Where the next read starts: just after the last complete line consumed. Store it with the lines, in one transaction,
    /// and no line is ever stored twice or lost across a restart.
    public var nextOffset: UInt64
}

/// Reads complete lines of an append-only log file from a byte offset.
///
/// A partial last line stays in the file for the next read, unless `endOfStream` says the writer is gone. Empty lines
/// are skipped but consumed. A complete line longer than `maxLineBytes` is cut to that length (the rest is dropped); a
/// partial line that already exceeds it is returned cut at that length and the read resumes after the cut, so a writer
/// that never ends its line cannot stall the tail.
public struct LogTailer: Sendable {
    public let path: String
    public var maxLineBytes: Int
    /// At most this many bytes are read per call.
    public var maxReadBytes: Int

    public init(path: String, maxLineBytes: Int = 256 * 1024, maxReadBytes: Int = 4 * 1024 * 1024) {
        self.path = path
        self.maxLineBytes = max(1, maxLineBytes)
        self.maxReadBytes = max(self.maxLineBytes + 1, maxReadBytes)
    }

    /// The lines after `offset`. A missing file reads as empty (the job may not have written yet). Throws
    /// `.internalError` when the file exists but cannot be read.
    public func read(from offset: UInt64, endOfStream: Bool = false) throws -> LogChunk {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return LogChunk(lines: [], nextOffset: offset) }
            throw OspreyError(.internalError, "Cannot open the log \(path): \(String(cString: strerror(errno))).")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw OspreyError(.internalError, "Cannot read the log \(path): \(String(cString: strerror(errno))).")
        }
        // A file shorter than the offset was replaced or truncated: nothing new to read from here.
        guard UInt64(info.st_size) > offset else { return LogChunk(lines: [], nextOffset: offset) }
        var bytes = [UInt8](repeating: 0, count: Int(min(UInt64(maxReadBytes), UInt64(info.st_size) - offset)))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(fd, base + filled, buffer.count - filled, off_t(offset) + off_t(filled))
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw OspreyError(.internalError, "Cannot read the log \(path): \(String(cString: strerror(errno))).") }
            if count == 0 { break }
            filled += count
        }
        let reachedEnd = filled < maxReadBytes
        return Self.split(bytes[0..<filled], at: offset, maxLineBytes: maxLineBytes, flushPartial: endOfStream && reachedEnd)
    }

    /// Splits `bytes` (which start at file offset `base`) into lines.
    static func split(_ bytes: ArraySlice<UInt8>, at base: UInt64, maxLineBytes: Int, flushPartial: Bool) -> LogChunk {
        var lines: [LogLine] = []
        var start = bytes.startIndex
        func emit(_ from: Int, _ to: Int) {
            var end = to
            if end > from, bytes[end - 1] == 0x0D { end -= 1 }
            guard end > from else { return }
            let cut = min(end, from + Self.utf8Boundary(bytes, from: from, limit: maxLineBytes))
            lines.append(LogLine(text: String(decoding: bytes[from..<cut], as: UTF8.self), offset: base + UInt64(from - bytes.startIndex)))
        }
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            emit(start, newline)
            start = newline + 1
        }
        while bytes.endIndex - start > maxLineBytes {
            let length = Self.utf8Boundary(bytes, from: start, limit: maxLineBytes)
            emit(start, start + length)
            start += length
        }
        if flushPartial, start < bytes.endIndex {
            emit(start, bytes.endIndex)
            start = bytes.endIndex
        }
        return LogChunk(lines: lines, nextOffset: base + UInt64(start - bytes.startIndex))
    }

    /// The longest length ≤ `limit` from `from` that does not split a UTF-8 sequence (never 0 for a positive limit).
    static func utf8Boundary(_ bytes: ArraySlice<UInt8>, from: Int, limit: Int) -> Int {
        guard bytes.endIndex - from > limit else { return bytes.endIndex - from }
        var length = limit
        while length > 0, bytes[from + length] & 0xC0 == 0x80, limit - length < 3 { length -= 1 }
        return length > 0 ? length : limit
    }
}
