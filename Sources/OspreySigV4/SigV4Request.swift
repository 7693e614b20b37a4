/// The parts of an HTTP request that SigV4 verification reads, exactly as received.
public struct SigV4Request: Sendable {
    /// The HTTP method, e.g. `PUT`.
    public var method: String
    /// The path as sent on the wire (still percent-encoded), without the query.
    public var rawPath: String
    /// The query as sent, without `?`; nil when the request has none.
    public var rawQuery: String?
    /// Every header as received: names in any case, repeated names allowed, in order. Must include `host`
    /// (for HTTP/2, pass `:authority` as `host`).
    public var headers: [(name: String, value: String)]

    public init(method: String, rawPath: String, rawQuery: String?, headers: [(name: String, value: String)]) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
    }

    /// Every value of the header `name` (case-insensitive), in received order.
    public func values(of name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    /// Whether the request carries SigV4 credentials at all (an `Authorization` header or `X-Amz-Algorithm`).
    public var hasCredentials: Bool {
        !values(of: "authorization").isEmpty
            || CanonicalQuery.parse(rawQuery).contains { $0.name == Array("X-Amz-Algorithm".utf8) }
    }
}

extension String {
    /// Whether the text starts with `prefix` (lowercase ASCII), ignoring ASCII case: `lowercased().hasPrefix(prefix)` for
    /// header names, without making the lowercase copy.
    func hasASCIICaseInsensitivePrefix(_ prefix: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        var actual = utf8.makeIterator()
        for byte in expected {
            guard let next = actual.next() else { return false }
            let lowered = next >= UInt8(ascii: "A") && next <= UInt8(ascii: "Z") ? next | 0x20 : next
            guard lowered == byte else { return false }
        }
        return true
    }

    /// ASCII case-insensitive equality, enough for header names.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        let lhs = utf8
        let rhs = other.utf8
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).allSatisfy { a, b in
            a == b || ((a | 0x20) == (b | 0x20) && (a | 0x20) >= UInt8(ascii: "a") && (a | 0x20) <= UInt8(ascii: "z"))
        }
    }
}
