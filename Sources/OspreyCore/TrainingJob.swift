import Foundation

/// A training job as Osprey keeps it: the request as the client sent it, and where the job is in its life.
public struct TrainingJob: Sendable, Hashable, Codable {
    public var name: String
    public var accountId: String
    public var arn: String
    /// The validated `CreateTrainingJob` request, without `Tags` (Describe echoes its fields).
    public var request: JSONValue
    public var status: TrainingJobStatus
    public var secondaryStatus: SecondaryStatus
    public var failureReason: String?
    public var creationTime: Date
    public var lastModifiedTime: Date
    public var trainingStartTime: Date?
    public var trainingEndTime: Date?
    public var transitions: [SecondaryStatusTransition]
    /// `s3://…/output/model.tar.gz`, once uploaded.
    public var modelArtifacts: String?
    public var finalMetrics: [FinalMetric]
    /// What the executor needs to find the job's processes again after a restart (opaque to the core).
    public var runtime: JSONValue?
    /// The job's tags (`Tags` at creation, then AddTags/DeleteTags); nil in records written before tags were kept.
    public var tags: [String: String]?
    /// Managed spot: seconds of training time spent waiting for capacity after interruptions (not billed).
    public var unbilledSeconds: Double?

    public init(name: String, accountId: String, arn: String, request: JSONValue, creationTime: Date) {
        self.name = name
        self.accountId = accountId
        self.arn = arn
        self.request = request
        self.status = .inProgress
        self.secondaryStatus = .starting
        self.creationTime = creationTime
        self.lastModifiedTime = creationTime
        self.transitions = [SecondaryStatusTransition(status: .starting, startTime: creationTime, message: "Preparing the instances for training")]
        self.finalMetrics = []
    }

    /// Whole seconds between training start and end (or `now` while running).
    public func trainingSeconds(now: Date) -> Int? {
        guard let start = trainingStartTime else { return nil }
        return max(0, Int((trainingEndTime ?? now).timeIntervalSince(start).rounded(.up)))
    }

    /// Training seconds minus the time spent waiting for spot capacity; never more than `trainingSeconds`.
    public func billableSeconds(now: Date) -> Int? {
        guard let training = trainingSeconds(now: now) else { return nil }
        return max(0, training - Int((unbilledSeconds ?? 0).rounded(.down)))
    }
}

/// `TrainingJobStatus`, spelled as SageMaker spells it.
public enum TrainingJobStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case inProgress = "InProgress"
    case completed = "Completed"
    case failed = "Failed"
    case stopping = "Stopping"
    case stopped = "Stopped"

    public var isTerminal: Bool { self == .completed || self == .failed || self == .stopped }
}

/// `SecondaryStatus`, spelled as SageMaker spells it.
public enum SecondaryStatus: String, Sendable, Hashable, Codable {
    case starting = "Starting"
    case downloading = "Downloading"
    case training = "Training"
    case uploading = "Uploading"
    case completed = "Completed"
    case failed = "Failed"
    case stopping = "Stopping"
    case stopped = "Stopped"
    case maxRuntimeExceeded = "MaxRuntimeExceeded"
    case maxWaitTimeExceeded = "MaxWaitTimeExceeded"
    case interrupted = "Interrupted"
    case restarting = "Restarting"
}

/// One entry of `SecondaryStatusTransitions`: every entry has a status, a start time and a message (the SDK needs all three).
public struct SecondaryStatusTransition: Sendable, Hashable, Codable {
    public var status: SecondaryStatus
    public var startTime: Date
    public var endTime: Date?
    public var message: String

    public init(status: SecondaryStatus, startTime: Date, endTime: Date? = nil, message: String) {
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.message = message
    }
}

/// A final value of a metric (`FinalMetricDataList`).
public struct FinalMetric: Sendable, Hashable, Codable {
    public var name: String
    public var value: Double
    public var timestamp: Date

    public init(name: String, value: Double, timestamp: Date) {
        self.name = name
        self.value = value
        self.timestamp = timestamp
    }
}
