import Foundation
public import OspreyCore

/// The JSON form of an event, shared by the SSE stream and webhooks.
///
/// `{"id": <sequence>, "type": …, "resource": …, "account": …, "time": <ISO 8601>, "detail": {…}}` on one line (so it
/// fits one SSE `data:` field). The detail is the stored JSON text, kept as written.
public enum EventJSON {
    public static func render(_ stored: StoredEvent) -> String {
        let event = stored.event
        var text = #"{"id":\#(stored.sequence),"type":"#
        appendString(event.type, to: &text)
        text += #","resource":"#
        appendString(event.resource, to: &text)
        text += #","account":"#
        appendString(event.accountId, to: &text)
        text += #","time":""# + event.time.formatted(timeStyle) + #"","detail":"#
        text += detailJSON(event.detail)
        text += "}"
        return text
    }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The detail text when it is a JSON object, with line breaks (legal there only as whitespace) turned into spaces;
    /// anything else as a JSON string, so the envelope stays valid.
    static func detailJSON(_ detail: String) -> String {
        let object = try? JSONSerialization.jsonObject(with: Data(detail.utf8)) as? [String: Any]
        if object != nil {
            guard detail.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return detail }
            return String(String.UnicodeScalarView(detail.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
        }
        var text = ""
        appendString(detail, to: &text)
        return text
    }

    /// Appends `value` as a JSON string literal.
    static func appendString(_ value: String, to text: inout String) {
        text.append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{2028}": text += "\\u2028"
            case "\u{2029}": text += "\\u2029"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text.append("\"")
    }
}
