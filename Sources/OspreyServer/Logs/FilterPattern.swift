import OspreyCore

/// A CloudWatch Logs term filter pattern, matched case-sensitively against an event's message.
///
/// Terms are separated by spaces and must all occur; a double-quoted term may hold spaces and punctuation (`"ERROR 42"`,
/// with `\"` for a quote). `-term` must not occur; with `?term`s, at least one of them must occur. An empty pattern matches
/// every event. JSON (`{ $.x = 1 }`) and space-delimited (`[a, b]`) patterns are refused with `InvalidParameterException`.
struct FilterPattern: Sendable, Hashable {
    var required: [String] = []
    var excluded: [String] = []
    var anyOf: [String] = []

    init(parsing text: String) throws {
        if let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[" {
            throw OspreyError(
                .invalidParameter,
                "Invalid filter pattern: Osprey supports term patterns (plain, quoted, ?term, -term), not JSON or space-delimited ones."
            )
        }
        var index = text.startIndex
        while index < text.endIndex {
            if text[index].isWhitespace {
                index = text.index(after: index)
                continue
            }
            var kind = Character(" ")
            if text[index] == "-" || text[index] == "?", text.index(after: index) < text.endIndex, !text[text.index(after: index)].isWhitespace {
                kind = text[index]
                index = text.index(after: index)
            }
            let term: String
            if text[index] == "\"" {
                (term, index) = try Self.quoted(text, from: index)
            } else {
                let end = text[index...].firstIndex(where: \.isWhitespace) ?? text.endIndex
                term = String(text[index..<end])
                index = end
            }
            guard !term.isEmpty else { continue }
            switch kind {
            case "-": excluded.append(term)
            case "?": anyOf.append(term)
            default: required.append(term)
            }
        }
    }

    /// True when every term is in `message`, no excluded term is, and (when there are `?` terms) one of them is.
    func matches(_ message: String) -> Bool {
        required.allSatisfy { message.contains($0) } && !excluded.contains { message.contains($0) }
            && (anyOf.isEmpty || anyOf.contains { message.contains($0) })
    }

    var isEmpty: Bool { required.isEmpty && excluded.isEmpty && anyOf.isEmpty }

    /// The quoted term starting at `start` (a `"`), and the index after its closing quote.
    private static func quoted(_ text: String, from start: String.Index) throws -> (String, String.Index) {
        var term = ""
        var cursor = text.index(after: start)
        while cursor < text.endIndex {
            let character = text[cursor]
            if character == "\"" { return (term, text.index(after: cursor)) }
            if character == "\\", text.index(after: cursor) < text.endIndex { cursor = text.index(after: cursor) }
            term.append(text[cursor])
            cursor = text.index(after: cursor)
        }
        throw OspreyError(.invalidParameter, "Invalid filter pattern: a quoted term is not closed.")
    }
}
