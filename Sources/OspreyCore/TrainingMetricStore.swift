import Foundation

/// One value a `MetricDefinitions` regex matched in a training job's log.
public struct TrainingMetricPoint: Sendable, Hashable {
    /// At most this many points are kept per job (about 100 points a second for over 15 minutes); later ones are dropped,
    /// while `FinalMetricDataList` still follows the log to its end.
    public static let maxPerJob = 100_000

    public var metric: String
    public var value: Double
    /// The time of the log event the value came from, milliseconds since the epoch.
    public var timestamp: Int64
    /// The log stream and the byte offset of the line in its host's log file: a line read twice yields the same point.
    public var stream: String
    public var offset: Int64

    public init(metric: String, value: Double, timestamp: Int64, stream: String, offset: Int64) {
        self.metric = metric
        self.value = value
        self.timestamp = timestamp
        self.stream = stream
        self.offset = offset
    }
}

/// The metric time series of training jobs, scoped by account and job.
public protocol TrainingMetricStore: Sendable {
    /// Stores points of a job in one transaction, skipping any already stored (same stream, offset and metric) and keeping at
    /// most `limit` per job (the rest are dropped). Returns how many were stored.
    @discardableResult
    func appendTrainingMetrics(accountId: String, jobName: String, points: [TrainingMetricPoint], limit: Int) async throws -> Int
    /// The job's points ordered by metric name, then time, stream and offset; only those of `metric` when given.
    func trainingMetrics(accountId: String, jobName: String, metric: String?) async throws -> [TrainingMetricPoint]
}
