import Foundation

/// Which models, endpoint configurations or endpoints a listing returns (the `List*` filters SageMaker defines).
public struct ServingQuery: Sendable, Hashable {
    public enum SortBy: String, Sendable { case name = "Name", creationTime = "CreationTime", status = "Status" }

    public var accountId: String
    /// Case-insensitive substring of the name.
    public var nameContains: String?
    public var creationAfter: Date?
    public var creationBefore: Date?
    /// Endpoints only.
    public var modifiedAfter: Date?
    public var modifiedBefore: Date?
    public var status: EndpointStatus?
    /// `.status` sorts endpoints only; the other listings fall back to creation time.
    public var sortBy: SortBy = .creationTime
    public var descending = true
    /// How many matching records to skip (the page token).
    public var offset = 0
    public var limit = 10

    public init(accountId: String) { self.accountId = accountId }
}

/// Models, endpoint configurations and endpoints, each change one transaction with its outbox event.
///
/// Tags live beside each record, so a tag change never races a status change. Models and configurations may be deleted
/// while endpoints use them, as SageMaker allows.
public protocol ServingStore: Sendable {
    /// Throws `.alreadyExists` when the account has a model of that name (or of that ARN, whose name is lowercased).
    func insertModel(_ model: ModelRecord, event: NewEvent) async throws
    func model(name: String, accountId: String) async throws -> ModelRecord?
    func models(_ query: ServingQuery) async throws -> [ModelRecord]
    /// Returns false when there was no such model.
    func deleteModel(name: String, accountId: String, event: NewEvent) async throws -> Bool

    /// Throws `.alreadyExists` when the account has a configuration of that name.
    func insertEndpointConfig(_ config: EndpointConfigRecord, event: NewEvent) async throws
    func endpointConfig(name: String, accountId: String) async throws -> EndpointConfigRecord?
    func endpointConfigs(_ query: ServingQuery) async throws -> [EndpointConfigRecord]
    func deleteEndpointConfig(name: String, accountId: String, event: NewEvent) async throws -> Bool

    /// Throws `.alreadyExists` when the account has an endpoint of that name.
    func insertEndpoint(_ endpoint: Endpoint, event: NewEvent) async throws
    func endpoint(name: String, accountId: String) async throws -> Endpoint?
    /// Replaces the stored endpoint (not its tags) if its `lastModifiedTime` is still `expectedModified`; returns false,
    /// changing nothing, when another writer got there first or the endpoint is gone.
    func updateEndpoint(_ endpoint: Endpoint, expectedModified: Date, event: NewEvent?) async throws -> Bool
    /// Removes the endpoint if its `lastModifiedTime` is still `expectedModified`; returns false otherwise.
    func deleteEndpoint(name: String, accountId: String, expectedModified: Date, event: NewEvent) async throws -> Bool
    func endpoints(_ query: ServingQuery) async throws -> [Endpoint]
    /// Every endpoint of every account (to bring fleets back after a restart).
    func allEndpoints() async throws -> [Endpoint]

    /// The tags of the model, configuration or endpoint with this ARN in the account; nil when there is none.
    func servingTags(arn: String, accountId: String) async throws -> [String: String]?
    /// Sets and removes tags of the resource with this ARN in one transaction; returns the new tags, nil when there is no such
    /// resource. Throws `.limitExceeded` (changing nothing) when the resource would have more than `limit` tags.
    func updateServingTags(arn: String, accountId: String, set: [String: String], remove: [String], limit: Int) async throws
        -> [String: String]?
}
