import Foundation
import HTTPTypes
import Hummingbird
import OspreyCore

/// The parts of a path-style S3 request: bucket, key and decoded query parameters.
struct S3Request {
    var bucket: String?
    var key: String?
    var query: [String: String]

    init(_ request: Request) throws {
        let path = request.uri.path
        let trimmed = path.dropFirst()
        if trimmed.isEmpty {
            bucket = nil
            key = nil
        } else if let slash = trimmed.firstIndex(of: "/") {
            bucket = try Self.decode(trimmed[..<slash])
            let rest = trimmed[trimmed.index(after: slash)...]
            key = rest.isEmpty ? nil : try Self.decode(rest)
        } else {
            bucket = try Self.decode(trimmed)
            key = nil
        }
        query = Self.parseQuery(request.uri.query)
    }

    func has(_ name: String) -> Bool { query[name] != nil }

    func int(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = query[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw OspreyError(.invalidArgument, "Argument \(name) must be an integer between \(range.lowerBound) and \(range.upperBound).")
        }
        return number
    }

    static func decode(_ text: Substring) throws -> String {
        // Without a `%` there is nothing to decode (and nothing invalid).
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        guard let decoded = String(text).removingPercentEncoding else {
            throw OspreyError(.invalidArgument, "The request path is not valid percent-encoded UTF-8.")
        }
        return decoded
    }

    /// Decodes `a=1&b&c=x%20y`; `+` means a space, as form encoding has it.
    static func parseQuery(_ query: String?) -> [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" : ""
            result[name] = value
        }
        return result
    }
}

/// Dates in the two forms S3 uses.
enum S3Dates {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `2009-10-12T17:50:30.000Z`, for XML bodies.
    static func iso8601(_ date: Date) -> String {
        let parts = utc(date)
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        var text = ""
        text.reserveCapacity(24)
        append(Int(parts.tm_year) + 1900, width: 4, to: &text)
        text += "-"
        append(Int(parts.tm_mon) + 1, width: 2, to: &text)
        text += "-"
        append(Int(parts.tm_mday), width: 2, to: &text)
        text += "T"
        appendTime(parts, to: &text)
        text += "."
        append(millis, width: 3, to: &text)
        text += "Z"
        return text
    }

    /// `Wed, 12 Oct 2009 17:50:00 GMT`, for headers.
    static func rfc1123(_ date: Date) -> String {
        let parts = utc(date)
        var text = days[Int(parts.tm_wday)]
        text.reserveCapacity(29)
        text += ", "
        append(Int(parts.tm_mday), width: 2, to: &text)
        text += " "
        text += months[Int(parts.tm_mon)]
        text += " "
        append(Int(parts.tm_year) + 1900, width: 4, to: &text)
        text += " "
        appendTime(parts, to: &text)
        text += " GMT"
        return text
    }

    private static func utc(_ date: Date) -> tm {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return parts
    }

    /// `HH:mm:ss`.
    private static func appendTime(_ parts: tm, to text: inout String) {
        append(Int(parts.tm_hour), width: 2, to: &text)
        text += ":"
        append(Int(parts.tm_min), width: 2, to: &text)
        text += ":"
        append(Int(parts.tm_sec), width: 2, to: &text)
    }

    /// `value` as `printf`'s `%0{width}d` writes it (the sign counts toward the width).
    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value.magnitude)
        if value < 0 { text += "-" }
        let padding = width - digits.utf8.count - (value < 0 ? 1 : 0)
        if padding > 0 { text += String(repeating: "0", count: padding) }
        text += digits
    }
}

/// A `Range: bytes=…` header resolved against an object's size.
enum ByteRange {
    /// The range to serve; nil for the whole object (no header, or one S3 ignores). Throws `.invalidRange` when unsatisfiable.
    static func resolve(_ header: String?, size: Int64) throws -> Range<Int64>? {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let unsatisfiable = OspreyError(.invalidRange, "The requested range is not satisfiable")
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]) else { return nil }
            guard suffix > 0, size > 0 else { throw unsatisfiable }
            return max(0, size - suffix)..<size
        }
        guard let start = Int64(parts[0]) else { return nil }
        let end: Int64
        if parts[1].isEmpty {
            end = size - 1
        } else {
            guard let last = Int64(parts[1]), last >= start else { return nil }
            end = min(last, size - 1)
        }
        guard start < size else { throw unsatisfiable }
        return start..<(end + 1)
    }
}

/// Percent-encoding for `encoding-type=url` listings: everything but unreserved characters and `/`.
func s3URLEncode(_ text: String) -> String {
    var allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")
    allowed.remove(charactersIn: "")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}
