/// A tiny extractor for the flat XML documents S3 answers with: finds elements by name and decodes their text.
///
/// It is not a general XML parser: it knows no namespaces, and an element must not contain another element of the same
/// name. That is enough for S3's answers (`ListBucketResult`, `ListAllMyBucketsResult`, `CopyObjectResult`, `Error`).
struct S3XML {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    /// The name of the document's root element, e.g. `Error`; nil when there is none.
    var rootName: String? {
        var index = 0
        while let open = firstIndex(of: UInt8(ascii: "<"), from: index) {
            let next = open + 1
            guard next < bytes.count else { return nil }
            if bytes[next] == UInt8(ascii: "?") || bytes[next] == UInt8(ascii: "!") {
                index = next
                continue
            }
            var end = next
            while end < bytes.count, !Self.endsName(bytes[end]) { end += 1 }
            return String(decoding: bytes[next..<end], as: UTF8.self)
        }
        return nil
    }

    /// The inner content of every `<name …>…</name>` (and `<name/>`) in document order.
    func elements(_ name: String) -> [S3XML] {
        var result: [S3XML] = []
        var index = 0
        while let (content, after) = nextElement(Array(name.utf8), from: index) {
            result.append(S3XML(Array(bytes[content])))
            index = after
        }
        return result
    }

    /// The decoded text of the first `<name>` element; nil when there is none.
    func text(_ name: String) -> String? {
        guard let (content, _) = nextElement(Array(name.utf8), from: 0) else { return nil }
        return Self.decodeText(bytes[content])
    }

    /// The decoded text of every `<name>` element, in document order.
    func texts(_ name: String) -> [String] {
        elements(name).map { Self.decodeText($0.bytes[...]) }
    }

    // MARK: Scanning

    /// The byte range of the next `name` element's content at or after `start`, and the index just past its end tag.
    private func nextElement(_ name: [UInt8], from start: Int) -> (Range<Int>, Int)? {
        var index = start
        while let open = firstIndex(of: UInt8(ascii: "<"), from: index) {
            index = open + 1
            guard matches(name, at: index), index + name.count < bytes.count, Self.endsName(bytes[index + name.count]) else {
                continue
            }
            guard let close = firstIndex(of: UInt8(ascii: ">"), from: index + name.count) else { return nil }
            if bytes[close - 1] == UInt8(ascii: "/") { return (close + 1..<close + 1, close + 1) }
            let contentStart = close + 1
            let endTag = Array("</".utf8) + name
            var search = contentStart
            while let candidate = firstIndex(of: UInt8(ascii: "<"), from: search) {
                if matches(endTag, at: candidate) {
                    let afterName = candidate + endTag.count
                    if afterName < bytes.count, bytes[afterName] == UInt8(ascii: ">") || Self.isSpace(bytes[afterName]) {
                        let after = firstIndex(of: UInt8(ascii: ">"), from: afterName).map { $0 + 1 } ?? bytes.count
                        return (contentStart..<candidate, after)
                    }
                }
                search = candidate + 1
            }
            return nil
        }
        return nil
    }

    private func firstIndex(of byte: UInt8, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    private func matches(_ pattern: [UInt8], at start: Int) -> Bool {
        guard start + pattern.count <= bytes.count else { return false }
        for offset in 0..<pattern.count where bytes[start + offset] != pattern[offset] { return false }
        return true
    }

    private static func endsName(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || isSpace(byte)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    // MARK: Text

    /// Element content as text: CDATA sections kept verbatim, the five named entities and numeric references decoded.
    static func decodeText(_ content: ArraySlice<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(content.count)
        let cdataOpen = Array("<![CDATA[".utf8)
        let cdataClose = Array("]]>".utf8)
        var index = content.startIndex
        while index < content.endIndex {
            let byte = content[index]
            if byte == UInt8(ascii: "<"), content[index...].starts(with: cdataOpen) {
                var end = index + cdataOpen.count
                while end < content.endIndex, !content[end...].starts(with: cdataClose) { end += 1 }
                output.append(contentsOf: content[(index + cdataOpen.count)..<end])
                index = min(end + cdataClose.count, content.endIndex)
            } else if byte == UInt8(ascii: "&"), let semicolon = content[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")),
                let decoded = entity(content[(index + 1)..<semicolon])
            {
                output.append(contentsOf: decoded)
                index = semicolon + 1
            } else {
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The UTF-8 bytes an entity name (between `&` and `;`) stands for; nil when it is not one.
    private static func entity(_ name: ArraySlice<UInt8>) -> [UInt8]? {
        switch String(decoding: name, as: UTF8.self) {
        case "amp": return [UInt8(ascii: "&")]
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        case let reference where reference.hasPrefix("#"):
            let digits = reference.dropFirst()
            let value = digits.hasPrefix("x") || digits.hasPrefix("X") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            guard let value, let scalar = Unicode.Scalar(value) else { return nil }
            return Array(String(Character(scalar)).utf8)
        default: return nil
        }
    }
}
