public import OspreyCore

/// The metric time series of training jobs: every value their `MetricDefinitions` matched in their logs.
public struct TrainingMetricsService: Sendable {
    let store: any TrainingJobStore & TrainingMetricStore

    public init(store: any TrainingJobStore & TrainingMetricStore) {
        self.store = store
    }

    /// The job's series by metric name, each in time order; only `metric`'s when given. Throws `.notFound` for a job the
    /// account does not have.
    public func series(jobName: String, accountId: String, metric: String? = nil) async throws -> [String: [TrainingMetricPoint]] {
        guard try await store.trainingJob(name: jobName, accountId: accountId) != nil else {
            throw OspreyError(.notFound, "Requested resource not found: Training job \(jobName) does not exist.")
        }
        let points = try await store.trainingMetrics(accountId: accountId, jobName: jobName, metric: metric)
        return Dictionary(grouping: points, by: \.metric)
    }
}
