import Foundation
import Hummingbird
import OspreyCore
import OspreyServices

/// The Application Auto Scaling adapter (AWS JSON 1.1, `X-Amz-Target: AnyScaleFrontendService.*`, SigV4 service
/// `application-autoscaling`) over `AutoScalingService`, for SageMaker endpoint variants only.
struct AutoScalingHandler: Sendable {
    static let targetPrefix = "AnyScaleFrontendService"
    static let service = "application-autoscaling"

    let service: AutoScalingService
    /// The request shapes of the operations, from `autoscaling-shapes.json`.
    let shapes: ShapeModel

    /// Throws when the shapes resource is missing from the bundle.
    init(service: AutoScalingService) throws {
        self.service = service
        self.shapes = try AWSJSON.shapes(resource: "autoscaling-shapes")
    }

    /// Answers a decoded call with the operation's output.
    func handle(_ call: AWSJSONCall) async throws -> JSONValue {
        let account = call.principal.accountId
        switch call.operation {
        case "RegisterScalableTarget":
            let target = try await service.register(call.input, accountId: account)
            return .object(["ScalableTargetARN": .string(target.arn)])
        case "DescribeScalableTargets":
            let page = try await service.targets(call.input, accountId: account)
            return AutoScalingJSON.page("ScalableTargets", page.items.map(AutoScalingJSON.target), page.nextToken)
        case "DeregisterScalableTarget":
            try await service.deregister(call.input, accountId: account)
            return .object([:])
        case "PutScalingPolicy":
            let policy = try await service.putPolicy(call.input, accountId: account)
            return .object(["PolicyARN": .string(policy.arn), "Alarms": .array([])])
        case "DescribeScalingPolicies":
            let page = try await service.policies(call.input, accountId: account)
            return AutoScalingJSON.page("ScalingPolicies", page.items.map(AutoScalingJSON.policy), page.nextToken)
        case "DeleteScalingPolicy":
            try await service.deletePolicy(call.input, accountId: account)
            return .object([:])
        case "DescribeScalingActivities":
            let page = try await service.activities(call.input, accountId: account)
            return AutoScalingJSON.page("ScalingActivities", page.items.map(AutoScalingJSON.activity), page.nextToken)
        default:
            throw OspreyError(.unknownOperation, "Operation \(call.operation) is not supported.")
        }
    }

    /// Application Auto Scaling's names for Osprey's generic codes; nil leaves the code to `AWSJSON.sharedType(of:)`.
    static func errorType(of code: OspreyError.Code) -> AWSJSONErrorType? {
        switch code {
        // A store conflict or an endpoint another request changed meanwhile.
        case .alreadyExists: AWSJSONErrorType(type: "ConcurrentUpdateException", status: .badRequest)
        case .internalError: AWSJSONErrorType(type: "InternalServiceException", status: .internalServerError)
        case .limitExceeded: AWSJSONErrorType(type: "LimitExceededException", status: .badRequest)
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
        "RegisterScalableTarget", "DescribeScalableTargets", "DeregisterScalableTarget", "PutScalingPolicy", "DescribeScalingPolicies",
        "DeleteScalingPolicy", "DescribeScalingActivities",
    ]
}
