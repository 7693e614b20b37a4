/// One query parameter, percent-decoded as sent.
struct QueryParameter: Sendable {
    var name: [UInt8]
    var value: [UInt8]

    /// The name as a string (invalid UTF-8 repaired).
    var nameString: String { String(decoding: name, as: UTF8.self) }
    /// The value as a string (invalid UTF-8 repaired).
    var valueString: String { String(decoding: value, as: UTF8.self) }
}

/// The canonical query string line of a canonical request.
public enum CanonicalQuery {
    /// The canonical query string for `rawQuery` (as sent, without `?`): each name and value decoded, re-encoded
    /// with SigV4's encoding, sorted by name then value, joined with `&`. `excluding` drops parameters by exact name
    /// (a presigned URL's `X-Amz-Signature`).
    public static func make(rawQuery: String?, excluding: String? = nil) -> String {
        make(parameters: parse(rawQuery), excluding: excluding)
    }

    /// The parameters of `rawQuery`, decoded; empty components (`a=1&&b=2`) are skipped, `a` alone is `a=`.
    static func parse(_ rawQuery: String?) -> [QueryParameter] {
        guard let rawQuery, !rawQuery.isEmpty else { return [] }
        var parameters: [QueryParameter] = []
        for component in rawQuery.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = component.firstIndex(of: UInt8(ascii: "=")) {
                parameters.append(
                    QueryParameter(
                        name: URIEncoding.decode(bytes: component[component.startIndex..<equals]),
                        value: URIEncoding.decode(bytes: component[component.index(after: equals)...])))
            } else {
                parameters.append(QueryParameter(name: URIEncoding.decode(bytes: component), value: []))
            }
        }
        return parameters
    }

    static func make(parameters: [QueryParameter], excluding: String?) -> String {
        let excluded = excluding.map { Array($0.utf8) }
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        pairs.reserveCapacity(parameters.count)
        for parameter in parameters where parameter.name != excluded {
            pairs.append((encode(parameter.name), encode(parameter.value)))
        }
        pairs.sort { lhs, rhs in
            lhs.name != rhs.name ? lhs.name.lexicographicallyPrecedes(rhs.name) : lhs.value.lexicographicallyPrecedes(rhs.value)
        }
        var output = [UInt8]()
        for (index, pair) in pairs.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "&")) }
            output.append(contentsOf: pair.name)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: pair.value)
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func encode(_ bytes: [UInt8]) -> [UInt8] {
        Array(URIEncoding.encode(bytes: bytes).utf8)
    }
}
