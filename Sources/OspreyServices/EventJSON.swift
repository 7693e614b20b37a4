import Foundation
public import OspreyCore

/// The JSON form of an event, shared by the SSE stream and webhooks.
///
/// `{"id": <sequence>, "type": …, "resource": …, "account": …, "time": <ISO 8601>, "detail": {…}}` on one line (so it
/// fits one SSE `data:` field), keys sorted. A detail that is not a JSON object is sent as a string.
public enum EventJSON {
    public static func render(_ stored: StoredEvent) -> String {
        let event = stored.event
        return JSONValue.object([
            "id": .number(Double(stored.sequence)), "type": .string(event.type), "resource": .string(event.resource),
            "account": .string(event.accountId), "time": .string(event.time.formatted(timeStyle)), "detail": detailJSON(event.detail),
        ]).text
    }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The detail when it is a JSON object; anything else as a JSON string, so the envelope stays valid.
    static func detailJSON(_ detail: String) -> JSONValue {
        if let value = try? JSONValue.parse(Array(detail.utf8)), value.objectValue != nil { return value }
        return .string(detail)
    }
}
