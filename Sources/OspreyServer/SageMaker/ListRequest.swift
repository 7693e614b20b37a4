import Foundation
import OspreyCore

/// The members every SageMaker `List*` call shares (name and time filters, sorting, `MaxResults`/`NextToken`), read once;
/// `page` answers with one page and the next token.
struct ListRequest {
    var nameContains: String?
    var status: String?
    var creationAfter: Date?
    var creationBefore: Date?
    var modifiedAfter: Date?
    var modifiedBefore: Date?
    var sortBy: String?
    var descending: Bool
    /// How many matching records to skip (the page token).
    var offset: Int
    var limit: Int

    /// Throws `.validation` for a `NextToken` Osprey did not give.
    init(_ call: AWSJSONCall) throws {
        nameContains = call.string("NameContains")
        status = call.string("StatusEquals")
        creationAfter = Self.date(call.input["CreationTimeAfter"])
        creationBefore = Self.date(call.input["CreationTimeBefore"])
        modifiedAfter = Self.date(call.input["LastModifiedTimeAfter"])
        modifiedBefore = Self.date(call.input["LastModifiedTimeBefore"])
        sortBy = call.string("SortBy")
        descending = call.string("SortOrder") != "Ascending"
        limit = call.int("MaxResults") ?? 10
        offset = 0
        if let token = call.string("NextToken") {
            guard let offset = Int(token), offset >= 0 else { throw OspreyError(.validation, "The NextToken is not valid.") }
            self.offset = offset
        }
    }

    /// The job listing this request asks for (an unknown status matches nothing in SageMaker's enum, so it is ignored here).
    func jobQuery<Status: RawRepresentable & Sendable & Hashable>(accountId: String) -> JobQuery<Status> where Status.RawValue == String {
        var query = JobQuery<Status>(accountId: accountId)
        query.nameContains = nameContains
        query.status = status.flatMap(Status.init(rawValue:))
        query.creationAfter = creationAfter
        query.creationBefore = creationBefore
        query.modifiedAfter = modifiedAfter
        query.modifiedBefore = modifiedBefore
        query.sortBy = sortBy.flatMap(JobQuery<Status>.SortBy.init(rawValue:)) ?? .creationTime
        query.descending = descending
        query.offset = offset
        query.limit = fetchLimit
        return query
    }

    /// How many records to fetch: one more than a page, to know whether another follows.
    var fetchLimit: Int { limit + 1 }

    /// `{key: [summaries of the page], NextToken?}` from up to `fetchLimit` records.
    func page<T>(_ records: [T], key: String, _ summary: (T) -> JSONValue) -> JSONValue {
        var out: [String: JSONValue] = [key: .array(records.prefix(limit).map(summary))]
        if records.count > limit { out["NextToken"] = .string(String(offset + limit)) }
        return .object(out)
    }

    /// A timestamp member: epoch seconds as AWS JSON sends them, or their text or ISO 8601 form.
    static func date(_ value: JSONValue?) -> Date? {
        guard let value else { return nil }
        if let seconds = value.numberValue { return Date(timeIntervalSince1970: seconds) }
        if let text = value.stringValue {
            return Double(text).map(Date.init(timeIntervalSince1970:)) ?? ISO8601DateFormatter().date(from: text)
        }
        return nil
    }
}
