import Foundation

/// Builds an XML document with escaped text, the way S3 answers.
struct XMLWriter {
    private(set) var text = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"

    mutating func open(_ name: String, namespace: Bool = false) {
        text += namespace ? #"<\#(name) xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"# : "<\(name)>"
    }

    /// Opens an element whose start tag is given whole (name and attributes).
    mutating func openTag(_ startTag: String) { text += "<\(startTag)>" }

    mutating func close(_ name: String) { text += "</\(name)>" }

    mutating func element(_ name: String, _ value: String) {
        text += "<\(name)>\(Self.escape(value))</\(name)>"
    }

    mutating func element(_ name: String, _ body: (inout XMLWriter) -> Void) {
        open(name)
        body(&self)
        close(name)
    }

    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for char in value.unicodeScalars {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(char)
            }
        }
        return out
    }
}

/// A parsed XML element: name (namespace prefix dropped), text content and children.
struct XMLElement: Sendable {
    var name: String
    var text: String = ""
    var children: [XMLElement] = []

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
}

/// A small, strict XML parser for the request documents S3 clients send (no DTDs, no processing beyond entities).
enum XMLReader {
    struct Failure: Error {}

    static func parse(_ data: [UInt8]) throws -> XMLElement {
        var parser = Parser(bytes: data)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws -> XMLElement {
            skipMisc()
            guard peek() == UInt8(ascii: "<") else { throw Failure() }
            let root = try element()
            skipMisc()
            guard index == bytes.count else { throw Failure() }
            return root
        }

        func peek(_ offset: Int = 0) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

        func starts(with text: String) -> Bool {
            let t = Array(text.utf8)
            return index + t.count <= bytes.count && Array(bytes[index..<index + t.count]) == t
        }

        mutating func skipWhitespace() {
            while let b = peek(), b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { index += 1 }
        }

        /// Skips whitespace, the XML declaration, comments and processing instructions.
        mutating func skipMisc() {
            while true {
                skipWhitespace()
                if starts(with: "<?") {
                    skip(past: "?>")
                } else if starts(with: "<!--") {
                    skip(past: "-->")
                } else {
                    return
                }
            }
        }

        mutating func skip(past end: String) {
            while index < bytes.count && !starts(with: end) { index += 1 }
            index = min(bytes.count, index + end.utf8.count)
        }

        mutating func name() throws -> String {
            let start = index
            while let b = peek(), !(b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == UInt8(ascii: ">") || b == UInt8(ascii: "/")
                || b == UInt8(ascii: "=")) {
                index += 1
            }
            guard index > start else { throw Failure() }
            let full = String(decoding: bytes[start..<index], as: UTF8.self)
            return full.split(separator: ":").last.map(String.init) ?? full
        }

        mutating func element() throws -> XMLElement {
            guard peek() == UInt8(ascii: "<") else { throw Failure() }
            index += 1
            var element = XMLElement(name: try name())
            // Attributes are read and ignored (xmlns and the like).
            while true {
                skipWhitespace()
                guard let b = peek() else { throw Failure() }
                if b == UInt8(ascii: "/") {
                    guard peek(1) == UInt8(ascii: ">") else { throw Failure() }
                    index += 2
                    return element
                }
                if b == UInt8(ascii: ">") {
                    index += 1
                    break
                }
                _ = try name()
                skipWhitespace()
                guard peek() == UInt8(ascii: "=") else { throw Failure() }
                index += 1
                skipWhitespace()
                guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { throw Failure() }
                index += 1
                while let c = peek(), c != quote { index += 1 }
                guard peek() == quote else { throw Failure() }
                index += 1
            }
            var text: [UInt8] = []
            while true {
                guard let b = peek() else { throw Failure() }
                if starts(with: "</") {
                    index += 2
                    guard try name() == element.name else { throw Failure() }
                    skipWhitespace()
                    guard peek() == UInt8(ascii: ">") else { throw Failure() }
                    index += 1
                    element.text = try decodeEntities(text)
                    return element
                } else if starts(with: "<!--") {
                    skip(past: "-->")
                } else if starts(with: "<![CDATA[") {
                    index += 9
                    while index < bytes.count && !starts(with: "]]>") {
                        text.append(bytes[index])
                        index += 1
                    }
                    guard starts(with: "]]>") else { throw Failure() }
                    index += 3
                } else if b == UInt8(ascii: "<") {
                    element.children.append(try self.element())
                } else {
                    text.append(b)
                    index += 1
                }
            }
        }

        func decodeEntities(_ raw: [UInt8]) throws -> String {
            let text = String(decoding: raw, as: UTF8.self)
            guard text.contains("&") else { return text }
            var out = ""
            var rest = Substring(text)
            while let amp = rest.firstIndex(of: "&") {
                out += rest[..<amp]
                guard let semi = rest[amp...].firstIndex(of: ";") else { throw Failure() }
                let entity = rest[rest.index(after: amp)..<semi]
                switch entity {
                case "amp": out += "&"
                case "lt": out += "<"
                case "gt": out += ">"
                case "quot": out += "\""
                case "apos": out += "'"
                default:
                    let number: UInt32?
                    if entity.hasPrefix("#x") {
                        number = UInt32(entity.dropFirst(2), radix: 16)
                    } else if entity.hasPrefix("#") {
                        number = UInt32(entity.dropFirst())
                    } else {
                        number = nil
                    }
                    guard let number, let scalar = Unicode.Scalar(number) else { throw Failure() }
                    out.unicodeScalars.append(scalar)
                }
                rest = rest[rest.index(after: semi)...]
            }
            return out + rest
        }
    }
}
