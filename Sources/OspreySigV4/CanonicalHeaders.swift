/// The canonical headers block and signed-headers line of a canonical request.
public enum CanonicalHeaders {
    /// A header value as SigV4 signs it: leading and trailing whitespace removed, inner runs of whitespace
    /// (spaces, tabs, folded line breaks) collapsed to one space.
    public static func value(_ raw: some StringProtocol) -> String {
        var output = [UInt8]()
        output.reserveCapacity(raw.utf8.count)
        var pendingSpace = false
        for byte in raw.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                pendingSpace = !output.isEmpty
            } else {
                if pendingSpace {
                    output.append(UInt8(ascii: " "))
                    pendingSpace = false
                }
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `name:value\n` for each name of `signedHeaders` (lowercase, in the given order), where value joins every
    /// value of that header in `headers` (names any case, in received order) with `,`. A signed header that is
    /// absent gets an empty value, so the signature simply fails to match.
    public static func block(headers: [(name: String, value: String)], signedHeaders: [String]) -> String {
        var valuesByName: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            // Values of unsigned headers are never used: skip normalising them.
            guard signedHeaders.contains(name) else { continue }
            valuesByName[name, default: []].append(value(header.value))
        }
        var output = ""
        for name in signedHeaders {
            output += name
            output += ":"
            output += (valuesByName[name] ?? []).joined(separator: ",")
            output += "\n"
        }
        return output
    }
}
