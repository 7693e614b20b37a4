import Foundation

/// A batch transform job as Osprey keeps it: the request as the client sent it, and where the job is in its life.
public struct TransformJob: Sendable, Hashable, Codable {
    public var name: String
    public var accountId: String
    public var arn: String
    /// The validated `CreateTransformJob` request, without `Tags` (Describe echoes its fields).
    public var request: JSONValue
    public var modelName: String
    public var status: TransformJobStatus
    public var failureReason: String?
    public var creationTime: Date
    public var lastModifiedTime: Date
    /// When the job's workers took their first record (set again when a restarted server runs the job anew).
    public var transformStartTime: Date?
    public var transformEndTime: Date?
    /// The job's tags (`Tags` at creation).
    public var tags: [String: String]?
    /// The model as it was at creation, so a job restarted after a server restart runs the same containers.
    public var model: ModelRecord?

    public init(name: String, accountId: String, arn: String, request: JSONValue, modelName: String, creationTime: Date) {
        self.name = name
        self.accountId = accountId
        self.arn = arn
        self.request = request
        self.modelName = modelName
        self.status = .inProgress
        self.creationTime = creationTime
        self.lastModifiedTime = creationTime
    }
}

/// `TransformJobStatus`, spelled as SageMaker spells it.
public enum TransformJobStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case inProgress = "InProgress"
    case completed = "Completed"
    case failed = "Failed"
    case stopping = "Stopping"
    case stopped = "Stopped"

    public var isTerminal: Bool { self == .completed || self == .failed || self == .stopped }
}
