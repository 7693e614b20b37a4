import Foundation
import OspreyCore

/// One page of a Describe operation and the token of the next, if any.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextToken: String?
}

/// `MaxResults` and `NextToken` of the Describe operations: a token is the offset of the next page.
extension AutoScalingService {
    static func page<Item: Sendable>(_ all: [Item], _ request: JSONValue) throws -> Page<Item> {
        let limit = try limit(request)
        let offset = try request["NextToken"]?.stringValue.map(offset(token:)) ?? 0
        let items = Array(all.dropFirst(offset).prefix(limit))
        return Page(items: items, nextToken: offset + limit < all.count ? token(offset: offset + limit) : nil)
    }

    static func limit(_ request: JSONValue) throws -> Int {
        guard let value = request["MaxResults"] else { return pageLimit }
        guard let limit = int(value), (1...pageLimit).contains(limit) else {
            throw OspreyError(.validation, "MaxResults must be between 1 and \(pageLimit), not \(value.text).")
        }
        return limit
    }

    static func token(offset: Int) -> String { Data("osprey:\(offset)".utf8).base64EncodedString() }

    static func offset(token: String) throws -> Int {
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8), text.hasPrefix("osprey:"),
            let offset = Int(text.dropFirst("osprey:".count)), offset >= 0
        else { throw OspreyError(.invalidNextToken, "Invalid token: \(token)") }
        return offset
    }
}
