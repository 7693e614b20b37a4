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
            let (query, page) = try Self.query(call)
            return Self.page(try await service.models(page), query, key: "Models", ServingJSON.summary)
        case "DeleteModel":
            try await service.deleteModel(name: call.string("ModelName") ?? "", accountId: account)
            return .object([:])
        case "CreateEndpointConfig":
            return .object(["EndpointConfigArn": .string(try await service.createEndpointConfig(input, accountId: account).arn)])
        case "DescribeEndpointConfig":
            return ServingJSON.describe(try await service.endpointConfig(name: call.string("EndpointConfigName") ?? "", accountId: account))
        case "ListEndpointConfigs":
            let (query, page) = try Self.query(call)
            return Self.page(try await service.endpointConfigs(page), query, key: "EndpointConfigs", ServingJSON.summary)
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
            let (query, page) = try Self.query(call)
            return Self.page(try await service.endpoints(page), query, key: "Endpoints", ServingJSON.summary)
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

    /// The listing a `List*` call asks for (`query`) and the one to run (`page`: one more, to know whether a page follows).
    static func query(_ call: AWSJSONCall) throws -> (query: ServingQuery, page: ServingQuery) {
        var query = ServingQuery(accountId: call.principal.accountId)
        query.nameContains = call.string("NameContains")
        query.creationAfter = date(call, "CreationTimeAfter")
        query.creationBefore = date(call, "CreationTimeBefore")
        query.modifiedAfter = date(call, "LastModifiedTimeAfter")
        query.modifiedBefore = date(call, "LastModifiedTimeBefore")
        query.status = call.string("StatusEquals").flatMap(EndpointStatus.init(rawValue:))
        query.sortBy = call.string("SortBy").flatMap(ServingQuery.SortBy.init(rawValue:)) ?? .creationTime
        query.descending = call.string("SortOrder") != "Ascending"
        query.limit = call.int("MaxResults") ?? 10
        if let token = call.string("NextToken") {
            guard let offset = Int(token), offset >= 0 else { throw OspreyError(.validation, "The NextToken is not valid.") }
            query.offset = offset
        }
        var page = query
        page.limit += 1
        return (query, page)
    }

    static func page<T>(_ records: [T], _ query: ServingQuery, key: String, _ summary: (T) -> JSONValue) -> JSONValue {
        var out: [String: JSONValue] = [key: .array(records.prefix(query.limit).map(summary))]
        if records.count > query.limit { out["NextToken"] = .string(String(query.offset + query.limit)) }
        return .object(out)
    }

    private static func date(_ call: AWSJSONCall, _ member: String) -> Date? {
        guard let value = call.input[member] else { return nil }
        if let seconds = value.numberValue { return Date(timeIntervalSince1970: seconds) }
        if let text = value.stringValue {
            return Double(text).map(Date.init(timeIntervalSince1970:)) ?? ISO8601DateFormatter().date(from: text)
        }
        return nil
    }
}
