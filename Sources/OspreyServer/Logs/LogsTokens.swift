import Foundation
import OspreyCore

/// Where a GetLogEvents page continues: after a sequence (`f/N`, forward) or before one (`b/N`, backward).
///
/// The forward token of a page names its last event, so the same token asked again later returns the events written
/// since; that is how the SageMaker SDK follows a job's log.
enum LogEventsToken: Sendable, Hashable {
    case forward(after: Int64)
    case backward(before: Int64)

    /// Parses `f/<sequence>` or `b/<sequence>`; throws `InvalidParameterException` for anything else.
    init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let sequence = Int64(parts[1]), sequence >= 0 else { throw Self.invalid() }
        switch parts[0] {
        case "f": self = .forward(after: sequence)
        case "b": self = .backward(before: sequence)
        default: throw Self.invalid()
        }
    }

    var text: String {
        switch self {
        case .forward(let after): "f/\(after)"
        case .backward(let before): "b/\(before)"
        }
    }

    static func invalid() -> OspreyError { OspreyError(.invalidParameter, "The specified nextToken is invalid.") }
}

/// Opaque `nextToken`s of the Describe and Filter operations: a few strings, as base64url of a JSON array.
enum PageToken {
    static func encode(_ parts: [String]) -> String {
        Data(JSONValue.array(parts.map(JSONValue.string)).text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The `count` strings of a token made by `encode`; throws `InvalidParameterException` for any other token.
    static func decode(_ token: String, count: Int) throws -> [String] {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let value = try? JSONValue.parse([UInt8](data)),
            let parts = value.arrayValue?.compactMap(\.stringValue), parts.count == count
        else { throw LogEventsToken.invalid() }
        return parts
    }
}
