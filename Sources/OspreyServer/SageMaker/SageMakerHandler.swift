import Foundation
import Hummingbird
import OspreyCore
import OspreyServices

/// The SageMaker API (AWS JSON 1.1, `X-Amz-Target: SageMaker.*`, SigV4 service `sagemaker`): training jobs so far.
struct SageMakerHandler: Sendable {
    let authenticator: Authenticator
    let training: TrainingService
    let shapes: ShapeModel
    let clock: any WallClock

    func handle(_ request: Request) async throws -> Response {
        let call = try await AWSJSON.decode(
            request, authenticator: authenticator, service: "sagemaker", targetPrefix: "SageMaker", shapes: shapes)
        let account = call.principal.accountId
        switch call.operation {
        case "CreateTrainingJob":
            let job = try await training.create(call.input, accountId: account)
            return AWSJSON.response(.object(["TrainingJobArn": .string(job.arn)]))
        case "DescribeTrainingJob":
            let job = try await training.describe(name: call.string("TrainingJobName") ?? "", accountId: account)
            return AWSJSON.response(TrainingJobJSON.describe(job, now: clock.now()))
        case "ListTrainingJobs":
            return try await list(call, account: account)
        case "StopTrainingJob":
            try await training.stop(name: call.string("TrainingJobName") ?? "", accountId: account)
            return AWSJSON.response(.object([:]))
        case "AddTags":
            let arn = call.string("ResourceArn") ?? ""
            let tags = TrainingService.tagMap(call.input["Tags"])
            try await training.updateTags(arn: arn, accountId: account, set: tags, remove: [])
            return AWSJSON.response(.object(["Tags": Self.tagList(try await training.tags(arn: arn, accountId: account))]))
        case "DeleteTags":
            let keys = (call.list("TagKeys") ?? []).compactMap(\.stringValue)
            try await training.updateTags(arn: call.string("ResourceArn") ?? "", accountId: account, set: [:], remove: keys)
            return AWSJSON.response(.object([:]))
        case "ListTags":
            let tags = try await training.tags(arn: call.string("ResourceArn") ?? "", accountId: account)
            return AWSJSON.response(.object(["Tags": Self.tagList(tags)]))
        default:
            throw OspreyError(.unknownOperation, "Operation \(call.operation) is not supported.")
        }
    }

    private func list(_ call: AWSJSONCall, account: String) async throws -> Response {
        var query = TrainingJobQuery(accountId: account)
        query.nameContains = call.string("NameContains")
        query.status = call.string("StatusEquals").flatMap(TrainingJobStatus.init(rawValue:))
        query.creationAfter = call.input["CreationTimeAfter"]?.numberValue.map(Date.init(timeIntervalSince1970:))
        query.creationBefore = call.input["CreationTimeBefore"]?.numberValue.map(Date.init(timeIntervalSince1970:))
        query.modifiedAfter = call.input["LastModifiedTimeAfter"]?.numberValue.map(Date.init(timeIntervalSince1970:))
        query.modifiedBefore = call.input["LastModifiedTimeBefore"]?.numberValue.map(Date.init(timeIntervalSince1970:))
        query.sortBy = call.string("SortBy").flatMap(TrainingJobQuery.SortBy.init(rawValue:)) ?? .creationTime
        query.descending = call.string("SortOrder") != "Ascending"
        query.limit = call.int("MaxResults") ?? 10
        if let token = call.string("NextToken") {
            guard let offset = Int(token), offset >= 0 else { throw OspreyError(.validation, "The NextToken is not valid.") }
            query.offset = offset
        }
        var page = query
        page.limit += 1
        let jobs = try await training.list(page)
        var out: [String: JSONValue] = ["TrainingJobSummaries": .array(jobs.prefix(query.limit).map(TrainingJobJSON.summary))]
        if jobs.count > query.limit { out["NextToken"] = .string(String(query.offset + query.limit)) }
        return AWSJSON.response(.object(out))
    }

    static func tagList(_ tags: [String: String]) -> JSONValue {
        .array(tags.sorted { $0.key < $1.key }.map { .object(["Key": .string($0.key), "Value": .string($0.value)]) })
    }

    /// SageMaker's own error names.
    static func errorType(_ code: OspreyError.Code) -> AWSJSONErrorType? {
        switch code {
        case .notFound: return AWSJSONErrorType(type: "ResourceNotFound", status: .badRequest)
        case .alreadyExists: return AWSJSONErrorType(type: "ResourceInUse", status: .badRequest)
        case .limitExceeded: return AWSJSONErrorType(type: "ResourceLimitExceeded", status: .badRequest)
        case .noSuchBucket, .noSuchKey: return AWSJSONErrorType(type: "ValidationException", status: .badRequest)
        default: return nil
        }
    }
}
