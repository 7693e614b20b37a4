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
        let request = try ListRequest(call)
        let jobs = try await service.list(request.jobQuery(accountId: call.principal.accountId))
        return request.page(jobs, key: "TransformJobSummaries", TransformJobJSON.summary)
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
