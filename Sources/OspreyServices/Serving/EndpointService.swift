import Foundation
import Logging
public import OspreyCore

/// The control plane of real-time serving: models, endpoint configurations and endpoints.
///
/// It validates requests, records them (each change one transaction with its event) and drives endpoints through
/// `EndpointLifecycle`, calling the `EndpointRuntime` from background tasks: CreateEndpoint and UpdateEndpoint return at
/// once (Creating, Updating) and the deployment's outcome moves the status on.
public actor EndpointService {
    /// Tells whether an image is one Osprey can run for an account (by default: `ImageRegistry` knows it).
    public typealias ImageCheck = @Sendable (_ image: String, _ accountId: String) async throws -> Bool

    let store: any MetadataStore
    let runtime: any EndpointRuntime
    let clock: any WallClock
    let deployment: Deployment
    let logger: Logger
    let knownImage: ImageCheck
    /// Running deployments by endpoint key, with a number telling a task from the one that replaced it.
    var deployments: [String: (id: Int, task: Task<Void, Never>)] = [:]
    var nextDeploymentId = 0

    /// At most this many tags per resource, as SageMaker allows.
    public static let tagLimit = 50

    public init(
        store: any MetadataStore, runtime: any EndpointRuntime, clock: any WallClock, deployment: Deployment, logger: Logger,
        knownImage: @escaping ImageCheck = EndpointService.registryKnows
    ) {
        self.store = store
        self.runtime = runtime
        self.clock = clock
        self.deployment = deployment
        self.logger = logger
        self.knownImage = knownImage
    }

    /// The default image check: the image maps to an environment in `ImageRegistry`.
    public static let registryKnows: ImageCheck = { image, _ in ImageRegistry.environment(for: image) != nil }

    // MARK: Models

    /// Validates and records a model (`CreateModel`).
    public func createModel(_ request: JSONValue, accountId: String) async throws -> ModelRecord {
        let name = request["ModelName"]?.stringValue ?? ""
        try Names.validateResourceName(name, field: "modelName")
        let containers = try ServingValidation.containers(of: request)
        for (index, container) in containers.enumerated() {
            if try await knownImage(container.image, accountId) { continue }
            let field = request["PrimaryContainer"] != nil ? "PrimaryContainer.Image" : "Containers.\(index + 1).Image"
            throw OspreyError(
                .validation, "Osprey does not know the image '\(container.image)' (\(field)); `osprey images list` shows the images it runs.")
        }
        let model = ModelRecord(
            name: name, accountId: accountId, arn: arn("model", name, accountId), request: ServingValidation.withoutTags(request),
            creationTime: clock.now(), containers: containers, executionRoleArn: request["ExecutionRoleArn"]?.stringValue,
            tags: ServingValidation.tags(request["Tags"]))
        do {
            try await store.insertModel(model, event: ServingEvents.model(model, state: "Created", time: model.creationTime))
        } catch let error as OspreyError where error.code == .alreadyExists {
            throw OspreyError(.validation, "Cannot create already existing model \"\(model.arn)\".")
        }
        return model
    }

    /// Throws `.validation` "Could not find model" (as SageMaker does; the SDK tests for it) when there is none.
    public func model(name: String, accountId: String) async throws -> ModelRecord {
        guard let model = try await store.model(name: name, accountId: accountId) else {
            throw OspreyError(.validation, "Could not find model \"\(arn("model", name, accountId))\".")
        }
        return model
    }

    public func models(_ query: ServingQuery) async throws -> [ModelRecord] {
        try await store.models(query)
    }

    /// Deletes a model, also one that endpoints use (they keep serving what they deployed).
    public func deleteModel(name: String, accountId: String) async throws {
        let model = try await model(name: name, accountId: accountId)
        let event = ServingEvents.model(model, state: "Deleted", time: clock.now())
        guard try await store.deleteModel(name: name, accountId: accountId, event: event) else {
            throw OspreyError(.validation, "Could not find model \"\(model.arn)\".")
        }
    }

    // MARK: Endpoint configurations

    /// Validates and records an endpoint configuration; every variant's model must exist.
    public func createEndpointConfig(_ request: JSONValue, accountId: String) async throws -> EndpointConfigRecord {
        let name = request["EndpointConfigName"]?.stringValue ?? ""
        try Names.validateResourceName(name, field: "endpointConfigName")
        let variants = try ServingValidation.variants(of: request)
        let capture = try ServingValidation.dataCapture(request["DataCaptureConfig"])
        for modelName in Set(variants.map(\.modelName)).sorted() { _ = try await model(name: modelName, accountId: accountId) }
        let config = EndpointConfigRecord(
            name: name, accountId: accountId, arn: arn("endpoint-config", name, accountId), request: ServingValidation.withoutTags(request),
            creationTime: clock.now(), variants: variants, dataCapture: capture, tags: ServingValidation.tags(request["Tags"]))
        do {
            try await store.insertEndpointConfig(config, event: ServingEvents.config(config, state: "Created", time: config.creationTime))
        } catch let error as OspreyError where error.code == .alreadyExists {
            throw OspreyError(.validation, "Cannot create already existing endpoint configuration \"\(config.arn)\".")
        }
        return config
    }

    public func endpointConfig(name: String, accountId: String) async throws -> EndpointConfigRecord {
        guard let config = try await store.endpointConfig(name: name, accountId: accountId) else {
            throw OspreyError(.validation, "Could not find endpoint configuration \"\(arn("endpoint-config", name, accountId))\".")
        }
        return config
    }

    public func endpointConfigs(_ query: ServingQuery) async throws -> [EndpointConfigRecord] {
        try await store.endpointConfigs(query)
    }

    /// Deletes a configuration, also one that endpoints use.
    public func deleteEndpointConfig(name: String, accountId: String) async throws {
        let config = try await endpointConfig(name: name, accountId: accountId)
        let event = ServingEvents.config(config, state: "Deleted", time: clock.now())
        guard try await store.deleteEndpointConfig(name: name, accountId: accountId, event: event) else {
            throw OspreyError(.validation, "Could not find endpoint configuration \"\(config.arn)\".")
        }
    }

    /// The models a configuration's variants name, each once; throws "Could not find model" for one that is gone.
    public func models(of config: EndpointConfigRecord) async throws -> [ModelRecord] {
        var models: [ModelRecord] = []
        for name in config.variants.map(\.modelName) where !models.contains(where: { $0.name == name }) {
            models.append(try await model(name: name, accountId: config.accountId))
        }
        return models
    }

    // MARK: Tags

    /// Whether `arn` names a model, endpoint configuration or endpoint (of any account): the tag calls Osprey routes here.
    public nonisolated static func handlesTags(of arn: String) -> Bool {
        let resource = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).last ?? ""
        return ["model/", "endpoint-config/", "endpoint/"].contains { resource.hasPrefix($0) }
    }

    /// The tags of the model, configuration or endpoint with this ARN; `.notFound` when the account has none.
    public func tags(arn: String, accountId: String) async throws -> [String: String] {
        guard let tags = try await store.servingTags(arn: arn, accountId: accountId) else { throw notFound(arn) }
        return tags
    }

    /// Adds or replaces tags, or removes keys, in one transaction (at most 50 tags per resource).
    public func updateTags(arn: String, accountId: String, set: [String: String], remove: [String]) async throws {
        guard try await store.updateServingTags(arn: arn, accountId: accountId, set: set, remove: remove, limit: Self.tagLimit) != nil
        else { throw notFound(arn) }
    }

    private func notFound(_ arn: String) -> OspreyError {
        OspreyError(.notFound, "Requested resource not found: \(arn) does not exist.")
    }

    // MARK: Names

    /// `arn:aws:sagemaker:{region}:{account}:{kind}/{lowercased name}`.
    func arn(_ kind: String, _ name: String, _ accountId: String) -> String {
        deployment.arn(account: accountId, resource: "\(kind)/\(name.lowercased())")
    }

    func key(_ name: String, _ accountId: String) -> String { accountId + "/" + name }
}
