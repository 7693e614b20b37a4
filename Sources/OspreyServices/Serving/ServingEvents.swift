import Foundation
import OspreyCore

/// The outbox events of serving: SageMaker-shaped state changes of endpoints, models and endpoint configurations.
enum ServingEvents {
    static let endpointType = "SageMaker Endpoint State Change"
    static let modelType = "SageMaker Model State Change"
    static let configType = "SageMaker Endpoint Config State Change"

    /// An endpoint's new state. `reason` says why an update was rolled back or abandoned (the record then has no
    /// `FailureReason`, being InService); `status` overrides the record's (`Deleted`).
    static func endpoint(_ endpoint: Endpoint, reason: String? = nil, status: String? = nil, time: Date? = nil) -> NewEvent {
        var detail: [String: JSONValue] = [
            "EndpointName": .string(endpoint.name), "EndpointArn": .string(endpoint.arn),
            "EndpointConfigName": .string(endpoint.configName), "EndpointStatus": .string(status ?? endpoint.status.rawValue),
            "CreationTime": .number(millis(endpoint.creationTime)), "LastModifiedTime": .number(millis(time ?? endpoint.lastModifiedTime)),
            "ProductionVariants": .array(
                endpoint.variants.map { .object(["VariantName": .string($0.name), "ModelName": .string($0.modelName)]) }),
        ]
        if let pending = endpoint.pendingConfigName { detail["PendingEndpointConfigName"] = .string(pending) }
        if let failure = endpoint.failureReason ?? reason { detail["FailureReason"] = .string(failure) }
        return NewEvent(
            type: endpointType, accountId: endpoint.accountId, resource: endpoint.arn, detail: JSONValue.object(detail).text,
            time: time ?? endpoint.lastModifiedTime)
    }

    static func model(_ model: ModelRecord, state: String, time: Date) -> NewEvent {
        let detail: JSONValue = .object([
            "ModelName": .string(model.name), "ModelArn": .string(model.arn), "State": .string(state),
            "CreationTime": .number(millis(model.creationTime)),
        ])
        return NewEvent(type: modelType, accountId: model.accountId, resource: model.arn, detail: detail.text, time: time)
    }

    static func config(_ config: EndpointConfigRecord, state: String, time: Date) -> NewEvent {
        let detail: JSONValue = .object([
            "EndpointConfigName": .string(config.name), "EndpointConfigArn": .string(config.arn), "State": .string(state),
            "CreationTime": .number(millis(config.creationTime)),
            "ProductionVariants": .array(
                config.variants.map { .object(["VariantName": .string($0.name), "ModelName": .string($0.modelName)]) }),
        ])
        return NewEvent(type: configType, accountId: config.accountId, resource: config.arn, detail: detail.text, time: time)
    }

    private static func millis(_ date: Date) -> Double { (date.timeIntervalSince1970 * 1000).rounded() }
}
