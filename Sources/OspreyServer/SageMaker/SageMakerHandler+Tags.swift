import OspreyCore
import OspreyServices

/// AddTags, DeleteTags and ListTags: routed by the ARN's resource type to the service that keeps the resource.
extension SageMakerHandler {
    func tags(_ call: AWSJSONCall) async throws -> JSONValue {
        let account = call.principal.accountId
        let arn = call.string("ResourceArn") ?? ""
        let serving = EndpointService.handlesTags(of: arn) ? self.serving.service : nil
        switch call.operation {
        case "AddTags":
            let tags = TrainingService.tagMap(call.input["Tags"])
            if let serving {
                try await serving.updateTags(arn: arn, accountId: account, set: tags, remove: [])
                return .object(["Tags": Self.tagList(try await serving.tags(arn: arn, accountId: account))])
            }
            try await training.updateTags(arn: arn, accountId: account, set: tags, remove: [])
            return .object(["Tags": Self.tagList(try await training.tags(arn: arn, accountId: account))])
        case "DeleteTags":
            let keys = (call.list("TagKeys") ?? []).compactMap(\.stringValue)
            if let serving {
                try await serving.updateTags(arn: arn, accountId: account, set: [:], remove: keys)
            } else {
                try await training.updateTags(arn: arn, accountId: account, set: [:], remove: keys)
            }
            return .object([:])
        default:
            if let serving { return .object(["Tags": Self.tagList(try await serving.tags(arn: arn, accountId: account))]) }
            return .object(["Tags": Self.tagList(try await training.tags(arn: arn, accountId: account))])
        }
    }
}
