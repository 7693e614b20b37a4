import Foundation

/// A SageMaker model: the validated `CreateModel` request and its containers, parsed once for the data plane.
///
/// Models never change after creation except for their tags, which the store keeps beside the record (not in it).
public struct ModelRecord: Sendable, Hashable, Codable {
    public var name: String
    public var accountId: String
    public var arn: String
    /// The validated `CreateModel` request without `Tags` (Describe echoes its fields).
    public var request: JSONValue
    public var creationTime: Date
    /// The containers in invocation order: one (`PrimaryContainer`), or an inference pipeline (`Containers`).
    public var containers: [ModelContainer]
    public var executionRoleArn: String?
    /// Kept by the store in a column of its own (tag changes never race status changes): not part of the coded form.
    public var tags: [String: String] = [:]

    public init(
        name: String, accountId: String, arn: String, request: JSONValue, creationTime: Date, containers: [ModelContainer],
        executionRoleArn: String? = nil, tags: [String: String] = [:]
    ) {
        self.name = name
        self.accountId = accountId
        self.arn = arn
        self.request = request
        self.creationTime = creationTime
        self.containers = containers
        self.executionRoleArn = executionRoleArn
        self.tags = tags
    }

    /// Whether the containers form an inference pipeline (the request used `Containers` with more than one).
    public var isPipeline: Bool { containers.count > 1 }

    enum CodingKeys: String, CodingKey { case name, accountId, arn, request, creationTime, containers, executionRoleArn }

}

/// One container of a model, as the data plane starts it.
public struct ModelContainer: Sendable, Hashable, Codable {
    /// `SingleModel` (one model archive) or `MultiModel` (archives under a prefix, chosen per request by `TargetModel`).
    public enum Mode: String, Sendable, Hashable, Codable {
        case singleModel = "SingleModel"
        case multiModel = "MultiModel"
    }

    public var hostname: String?
    /// The image as given; the service has checked that Osprey knows it.
    public var image: String
    public var mode: Mode
    public var modelData: ModelData?
    public var environment: [String: String]

    public init(hostname: String? = nil, image: String, mode: Mode = .singleModel, modelData: ModelData? = nil, environment: [String: String] = [:]) {
        self.hostname = hostname
        self.image = image
        self.mode = mode
        self.modelData = modelData
        self.environment = environment
    }
}

/// Where a container's model comes from.
public struct ModelData: Sendable, Hashable, Codable {
    /// `s3://bucket/key`: one object, or a prefix when `isPrefix`.
    public var uri: String
    /// The object (or, for a prefix, each object) is a gzipped tar archive to extract into `/opt/ml/model`.
    public var isArchive: Bool
    /// `uri` names a prefix: multi-model archives, or an uncompressed model folder (`ModelDataSource` `S3Prefix`).
    public var isPrefix: Bool

    public init(uri: String, isArchive: Bool, isPrefix: Bool) {
        self.uri = uri
        self.isArchive = isArchive
        self.isPrefix = isPrefix
    }
}

/// A SageMaker endpoint configuration: the validated request and its production variants, parsed once.
public struct EndpointConfigRecord: Sendable, Hashable, Codable {
    public var name: String
    public var accountId: String
    public var arn: String
    /// The validated `CreateEndpointConfig` request without `Tags`.
    public var request: JSONValue
    public var creationTime: Date
    public var variants: [VariantSpec]
    /// `DataCaptureConfig`, parsed; nil when not configured.
    public var dataCapture: DataCaptureSettings?
    /// Kept by the store in a column of its own (tag changes never race status changes): not part of the coded form.
    public var tags: [String: String] = [:]

    public init(
        name: String, accountId: String, arn: String, request: JSONValue, creationTime: Date, variants: [VariantSpec],
        dataCapture: DataCaptureSettings? = nil, tags: [String: String] = [:]
    ) {
        self.name = name
        self.accountId = accountId
        self.arn = arn
        self.request = request
        self.creationTime = creationTime
        self.variants = variants
        self.dataCapture = dataCapture
        self.tags = tags
    }

    enum CodingKeys: String, CodingKey { case name, accountId, arn, request, creationTime, variants, dataCapture }

}

/// One `ProductionVariant` of an endpoint configuration.
public struct VariantSpec: Sendable, Hashable, Codable {
    public var name: String
    public var modelName: String
    public var instanceCount: Int
    public var weight: Double
    public var instanceType: String?

    public init(name: String, modelName: String, instanceCount: Int, weight: Double, instanceType: String? = nil) {
        self.name = name
        self.modelName = modelName
        self.instanceCount = instanceCount
        self.weight = weight
        self.instanceType = instanceType
    }
}
