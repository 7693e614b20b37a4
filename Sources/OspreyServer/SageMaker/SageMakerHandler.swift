import Foundation
import Hummingbird
import OspreyCore
import OspreyServices

/// The SageMaker API (AWS JSON 1.1, `X-Amz-Target: SageMaker.*`, SigV4 service `sagemaker`): training jobs, and real-time
/// serving's control plane (`ServingHandler`).
struct SageMakerHandler: Sendable {
    let authenticator: Authenticator
    let training: TrainingService
    let serving: ServingHandler
    let transform: TransformHandler
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
        case "AddTags", "DeleteTags", "ListTags":
            return AWSJSON.response(try await tags(call))
        case let operation where ServingHandler.operations.contains(operation):
            return AWSJSON.response(try await serving.handle(call))
        case let operation where TransformHandler.operations.contains(operation):
            return AWSJSON.response(try await transform.handle(call))
        default:
            throw OspreyError(.unknownOperation, "Operation \(call.operation) is not supported.")
        }
    }

    private func list(_ call: AWSJSONCall, account: String) async throws -> Response {
        let request = try ListRequest(call)
        let jobs = try await training.list(request.jobQuery(accountId: account))
        return AWSJSON.response(request.page(jobs, key: "TrainingJobSummaries", TrainingJobJSON.summary))
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
