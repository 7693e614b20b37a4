import Foundation
import ServiceLifecycle
import OspreyCore
import OspreyServing

/// The SageMaker operations of batch transform.
struct TransformHandler: Sendable {
    let service: TransformService

    static let operations: Set<String> = ["CreateTransformJob", "DescribeTransformJob", "ListTransformJobs", "StopTransformJob"]

    /// Answers one of `operations`.
    func handle(_ call: AWSJSONCall) async throws -> JSONValue {
        let account = call.principal.accountId
        switch call.operation {
        case "CreateTransformJob":
            return .object(["TransformJobArn": .string(try await service.create(call.input, accountId: account).arn)])
        case "DescribeTransformJob":
            return TransformJobJSON.describe(try await service.describe(name: call.string("TransformJobName") ?? "", accountId: account))
        case "ListTransformJobs":
            return try await list(call)
        case "StopTransformJob":
            try await service.stop(name: call.string("TransformJobName") ?? "", accountId: account)
            return .object([:])
        default:
            throw OspreyError(.unknownOperation, "Operation \(call.operation) is not supported.")
        }
    }

    private func list(_ call: AWSJSONCall) async throws -> JSONValue {
        var query = TransformJobQuery(accountId: call.principal.accountId)
        query.nameContains = call.string("NameContains")
        query.status = call.string("StatusEquals").flatMap(TransformJobStatus.init(rawValue:))
        query.creationAfter = Self.date(call, "CreationTimeAfter")
        query.creationBefore = Self.date(call, "CreationTimeBefore")
        query.modifiedAfter = Self.date(call, "LastModifiedTimeAfter")
        query.modifiedBefore = Self.date(call, "LastModifiedTimeBefore")
        query.sortBy = call.string("SortBy").flatMap(TransformJobQuery.SortBy.init(rawValue:)) ?? .creationTime
        query.descending = call.string("SortOrder") != "Ascending"
        query.limit = call.int("MaxResults") ?? 10
        if let token = call.string("NextToken") {
            guard let offset = Int(token), offset >= 0 else { throw OspreyError(.validation, "The NextToken is not valid.") }
            query.offset = offset
        }
        var page = query
        page.limit += 1
        let jobs = try await service.list(page)
        var out: [String: JSONValue] = ["TransformJobSummaries": .array(jobs.prefix(query.limit).map(TransformJobJSON.summary))]
        if jobs.count > query.limit { out["NextToken"] = .string(String(query.offset + query.limit)) }
        return .object(out)
    }

    /// A timestamp member: epoch seconds as AWS JSON sends them, or their text or ISO 8601 form.
    private static func date(_ call: AWSJSONCall, _ member: String) -> Date? {
        guard let value = call.input[member] else { return nil }
        if let seconds = value.numberValue { return Date(timeIntervalSince1970: seconds) }
        if let text = value.stringValue {
            return Double(text).map(Date.init(timeIntervalSince1970:)) ?? ISO8601DateFormatter().date(from: text)
        }
        return nil
    }
}

/// Stops the workers of running transform jobs when the server shuts down (before the store closes); the jobs run again
/// at the next start.
struct TransformShutdown: Service {
    let service: TransformService

    func run() async throws {
        try? await gracefulShutdown()
        await service.shutdown()
    }
}
