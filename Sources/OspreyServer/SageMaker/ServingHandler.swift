import Foundation
import OspreyCore
import OspreyServices

/// The SageMaker operations of real-time serving's control plane: models, endpoint configurations, endpoints.
struct ServingHandler: Sendable {
    let service: EndpointService

    static let operations: Set<String> = [
        "CreateModel", "DescribeModel", "ListModels", "DeleteModel", "CreateEndpointConfig", "DescribeEndpointConfig",
        "ListEndpointConfigs", "DeleteEndpointConfig", "CreateEndpoint", "DescribeEndpoint", "ListEndpoints", "UpdateEndpoint",
        "UpdateEndpointWeightsAndCapacities", "DeleteEndpoint",
    ]

    /// Answers one of `operations`.
    func handle(_ call: AWSJSONCall) async throws -> JSONValue {
        let account = call.principal.accountId
        let input = call.input
        switch call.operation {
        case "CreateModel":
            return .object(["ModelArn": .string(try await service.createModel(input, accountId: account).arn)])
        case "DescribeModel":
            return ServingJSON.describe(try await service.model(name: call.string("ModelName") ?? "", accountId: account))
        case "ListModels":
            let (request, query) = try Self.query(call)
            return request.page(try await service.models(query), key: "Models", ServingJSON.summary)
        case "DeleteModel":
            try await service.deleteModel(name: call.string("ModelName") ?? "", accountId: account)
            return .object([:])
        case "CreateEndpointConfig":
            return .object(["EndpointConfigArn": .string(try await service.createEndpointConfig(input, accountId: account).arn)])
        case "DescribeEndpointConfig":
            return ServingJSON.describe(try await service.endpointConfig(name: call.string("EndpointConfigName") ?? "", accountId: account))
        case "ListEndpointConfigs":
            let (request, query) = try Self.query(call)
            return request.page(try await service.endpointConfigs(query), key: "EndpointConfigs", ServingJSON.summary)
        case "DeleteEndpointConfig":
            try await service.deleteEndpointConfig(name: call.string("EndpointConfigName") ?? "", accountId: account)
            return .object([:])
        case "CreateEndpoint":
            return .object(["EndpointArn": .string(try await service.createEndpoint(input, accountId: account).arn)])
        case "DescribeEndpoint":
            return ServingJSON.describe(try await service.endpoint(name: call.string("EndpointName") ?? "", accountId: account))
        case "ListEndpoints":
            if let status = call.string("StatusEquals"), EndpointStatus(rawValue: status) == nil {
                // A status SageMaker has but Osprey never uses (OutOfService, SystemUpdating, UpdateRollbackFailed).
                return .object(["Endpoints": .array([])])
            }
            let (request, query) = try Self.query(call)
            return request.page(try await service.endpoints(query), key: "Endpoints", ServingJSON.summary)
        case "UpdateEndpoint":
            return .object(["EndpointArn": .string(try await service.updateEndpoint(input, accountId: account).arn)])
        case "UpdateEndpointWeightsAndCapacities":
            return .object(["EndpointArn": .string(try await service.updateWeightsAndCapacities(input, accountId: account).arn)])
        case "DeleteEndpoint":
            try await service.deleteEndpoint(name: call.string("EndpointName") ?? "", accountId: account)
            return .object([:])
        default:
            throw OspreyError(.unknownOperation, "Operation \(call.operation) is not supported.")
        }
    }

    /// The listing a `List*` call asks for, with one more record than a page (to know whether another follows).
    static func query(_ call: AWSJSONCall) throws -> (request: ListRequest, query: ServingQuery) {
        let request = try ListRequest(call)
        var query = ServingQuery(accountId: call.principal.accountId)
        query.nameContains = request.nameContains
        query.creationAfter = request.creationAfter
        query.creationBefore = request.creationBefore
        query.modifiedAfter = request.modifiedAfter
        query.modifiedBefore = request.modifiedBefore
        query.status = request.status.flatMap(EndpointStatus.init(rawValue:))
        query.sortBy = request.sortBy.flatMap(ServingQuery.SortBy.init(rawValue:)) ?? .creationTime
        query.descending = request.descending
        query.offset = request.offset
        query.limit = request.fetchLimit
        return (request, query)
    }
}
