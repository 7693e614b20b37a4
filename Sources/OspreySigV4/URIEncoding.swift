/// RFC 3986 percent-encoding as SigV4 specifies it: `A-Za-z0-9-._~` stay, every other byte becomes `%XX` (uppercase).
public enum URIEncoding {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Whether `byte` is an RFC 3986 unreserved character.
    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `text` percent-encoded byte by byte; `keepSlash` leaves `/` as is (for paths and S3 keys).
    public static func encode(_ text: some StringProtocol, keepSlash: Bool = false) -> String {
        encode(bytes: Array(text.utf8), keepSlash: keepSlash)
    }

    /// `bytes` percent-encoded; `keepSlash` leaves `/` as is.
    public static func encode(bytes: [UInt8], keepSlash: Bool = false) -> String {
        var output = [UInt8]()
        output.reserveCapacity(bytes.count + bytes.count / 2)
        for byte in bytes {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes `text` stands for: each valid `%XX` becomes its byte; anything else, `+` included, stays literal.
    public static func decode(bytes text: some Collection<UInt8>) -> [UInt8] {
        let input = Array(text)
        var output = [UInt8]()
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "%"), index + 2 < input.count,
                let high = Hex.value(of: input[index + 1]), let low = Hex.value(of: input[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    /// `text` percent-decoded into a string (invalid UTF-8 is repaired with U+FFFD).
    public static func decode(_ text: some StringProtocol) -> String {
        String(decoding: decode(bytes: text.utf8), as: UTF8.self)
    }
}
