import Foundation
import Hummingbird
import OspreyCore

/// The CloudWatch Logs adapter (AWS JSON 1.1, `X-Amz-Target: Logs_20140328.*`, SigV4 service `logs`): the subset that
/// Osprey's training jobs and the SageMaker SDKs use, over the `LogStore` port, scoped by the caller's account.
///
/// Operations: CreateLogGroup, CreateLogStream, PutLogEvents, DescribeLogGroups, DescribeLogStreams, GetLogEvents and
/// FilterLogEvents (the event operations are in `LogsHandler+Events.swift`).
struct LogsHandler: Sendable {
    static let targetPrefix = "Logs_20140328"
    static let service = "logs"
    /// DescribeLogGroups and DescribeLogStreams answer at most this many per page (botocore's `DescribeLimit`).
    static let describeLimit = 50

    let store: any LogStore
    let clock: any WallClock
    let region: String
    /// The request shapes of the operations above, from `logs-shapes.json`.
    let shapes: ShapeModel

    /// Throws when the shapes resource is missing from the bundle.
    init(store: any LogStore, clock: any WallClock, region: String) throws {
        self.store = store
        self.clock = clock
        self.region = region
        self.shapes = try AWSJSON.shapes(resource: "logs-shapes")
    }

    /// Answers a decoded call (see `AWSJSON.decode`) with the operation's output.
    func handle(_ call: AWSJSONCall) async throws -> JSONValue {
        switch call.operation {
        case "CreateLogGroup": return try await createLogGroup(call)
        case "CreateLogStream": return try await createLogStream(call)
        case "DescribeLogGroups": return try await describeLogGroups(call)
        case "DescribeLogStreams": return try await describeLogStreams(call)
        case "PutLogEvents": return try await putLogEvents(call)
        case "GetLogEvents": return try await getLogEvents(call)
        case "FilterLogEvents": return try await filterLogEvents(call)
        default: throw OspreyError(.unknownOperation, "Operation \(call.operation) is not supported.")
        }
    }

    /// CloudWatch Logs' names for the codes it answers with; nil leaves the code to `AWSJSON.sharedType(of:)`.
    static func errorType(of code: OspreyError.Code) -> AWSJSONErrorType? {
        switch code {
        case .notFound: AWSJSONErrorType(type: "ResourceNotFoundException", status: .badRequest)
        case .alreadyExists: AWSJSONErrorType(type: "ResourceAlreadyExistsException", status: .badRequest)
        case .invalidParameter: AWSJSONErrorType(type: "InvalidParameterException", status: .badRequest)
        case .unavailable: AWSJSONErrorType(type: "ServiceUnavailableException", status: .serviceUnavailable)
        default: nil
        }
    }

    /// The operation a request names, for metrics: one of the supported operations, else `Unknown`.
    static func operation(of request: Request) -> String {
        guard let target = request.headers[.xAmzTarget], target.hasPrefix(targetPrefix + ".") else { return "Unknown" }
        let operation = String(target.dropFirst(targetPrefix.count + 1))
        return operations.contains(operation) ? operation : "Unknown"
    }

    static let operations: Set<String> = [
        "CreateLogGroup", "CreateLogStream", "PutLogEvents", "DescribeLogGroups", "DescribeLogStreams", "GetLogEvents", "FilterLogEvents",
    ]

    // MARK: Groups and streams

    private func createLogGroup(_ call: AWSJSONCall) async throws -> JSONValue {
        let group = call.string("logGroupName") ?? ""
        guard try await store.createLogGroup(accountId: call.principal.accountId, group: group, creationTime: now()) else {
            throw OspreyError(.alreadyExists, "The specified log group already exists")
        }
        return .object([:])
    }

    private func createLogStream(_ call: AWSJSONCall) async throws -> JSONValue {
        let account = call.principal.accountId
        let group = call.string("logGroupName") ?? ""
        guard try await groupExists(account: account, group: group) else { throw Self.noSuchGroup() }
        let stream = call.string("logStreamName") ?? ""
        guard try await store.createLogStream(accountId: account, group: group, stream: stream, creationTime: now()) else {
            throw OspreyError(.alreadyExists, "The specified log stream already exists")
        }
        return .object([:])
    }

    private func describeLogGroups(_ call: AWSJSONCall) async throws -> JSONValue {
        for unsupported in ["logGroupNamePattern", "logGroupIdentifiers", "accountIdentifiers"] where call.input[unsupported] != nil {
            throw OspreyError(.invalidParameter, "Osprey does not support \(unsupported) in DescribeLogGroups; use logGroupNamePrefix.")
        }
        let account = call.principal.accountId
        let limit = call.int("limit") ?? Self.describeLimit
        let after = try call.string("nextToken").map { try PageToken.decode($0, count: 1)[0] }
        // Every Osprey log group is of the STANDARD class.
        if let wanted = call.string("logGroupClass"), wanted != "STANDARD" { return .object(["logGroups": .array([])]) }
        let groups = try await store.logGroups(accountId: account, prefix: call.string("logGroupNamePrefix") ?? "", after: after, limit: limit + 1)
        let page = groups.prefix(limit)
        var output: [String: JSONValue] = [
            "logGroups": .array(
                page.map { group in
                    let arn = groupARN(account: account, group: group.name)
                    return .object([
                        "logGroupName": .string(group.name), "creationTime": .number(Double(group.creationTime)), "metricFilterCount": .number(0),
                        "arn": .string(arn + ":*"), "logGroupArn": .string(arn), "storedBytes": .number(0), "logGroupClass": .string("STANDARD"),
                    ])
                }
            )
        ]
        if groups.count > limit, let last = page.last { output["nextToken"] = .string(PageToken.encode([last.name])) }
        return .object(output)
    }

    private func describeLogStreams(_ call: AWSJSONCall) async throws -> JSONValue {
        let account = call.principal.accountId
        let group = try groupName(call)
        let prefix = call.string("logStreamNamePrefix") ?? ""
        let byLastEvent = call.string("orderBy") == "LastEventTime"
        if byLastEvent && !prefix.isEmpty {
            throw OspreyError(.invalidParameter, "Cannot order by LastEventTime with a logStreamNamePrefix.")
        }
        let limit = call.int("limit") ?? Self.describeLimit
        let after = try call.string("nextToken").map { try PageToken.decode($0, count: 1)[0] }
        let streams = try await store.logStreams(
            accountId: account, group: group, prefix: prefix, orderByLastEvent: byLastEvent, descending: call.bool("descending") ?? false,
            after: after, limit: limit + 1
        )
        let page = streams.prefix(limit)
        var output: [String: JSONValue] = ["logStreams": .array(page.map { describe($0, account: account) })]
        if streams.count > limit, let last = page.last { output["nextToken"] = .string(PageToken.encode([last.name])) }
        return .object(output)
    }

    private func describe(_ stream: LogStreamInfo, account: String) -> JSONValue {
        var fields: [String: JSONValue] = [
            "logStreamName": .string(stream.name), "creationTime": .number(Double(stream.creationTime)),
            "arn": .string(groupARN(account: account, group: stream.group) + ":log-stream:" + stream.name), "storedBytes": .number(0),
        ]
        if let first = stream.firstEventTimestamp { fields["firstEventTimestamp"] = .number(Double(first)) }
        if let last = stream.lastEventTimestamp { fields["lastEventTimestamp"] = .number(Double(last)) }
        if let ingested = stream.lastIngestionTime { fields["lastIngestionTime"] = .number(Double(ingested)) }
        return .object(fields)
    }

    // MARK: Shared

    /// The group named by `logGroupName` or `logGroupIdentifier` (a name or an ARN of the caller's account): exactly one.
    func groupName(_ call: AWSJSONCall) throws -> String {
        switch (call.string("logGroupName"), call.string("logGroupIdentifier")) {
        case (let name?, nil):
            return name
        case (nil, let identifier?):
            guard identifier.hasPrefix("arn:") else { return identifier }
            let parts = identifier.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
            guard parts.count == 7, parts[2] == "logs", parts[5] == "log-group" else {
                throw OspreyError(.invalidParameter, "The logGroupIdentifier \(identifier) is not a log group name or ARN.")
            }
            guard parts[4] == call.principal.accountId else { throw Self.noSuchGroup() }
            let name = parts[6]
            return String(name.hasSuffix(":*") ? name.dropLast(2) : name)
        case (nil, nil):
            throw OspreyError(.invalidParameter, "Either logGroupName or logGroupIdentifier must be specified.")
        case (_?, _?):
            throw OspreyError(.invalidParameter, "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        }
    }

    func groupExists(account: String, group: String) async throws -> Bool {
        try await store.logGroups(accountId: account, prefix: group, after: nil, limit: 1).first?.name == group
    }

    func groupARN(account: String, group: String) -> String { "arn:aws:logs:\(region):\(account):log-group:\(group)" }

    /// Now, in milliseconds since the epoch.
    func now() -> Int64 { Int64((clock.now().timeIntervalSince1970 * 1000).rounded()) }

    static func noSuchGroup() -> OspreyError { OspreyError(.notFound, "The specified log group does not exist.") }
}

extension OspreyError.Code {
    /// CloudWatch Logs' code for a request parameter it refuses.
    static let invalidParameter: Self = "InvalidParameterException"
}
