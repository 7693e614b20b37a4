import Foundation
import Hummingbird
import OspreyCore
import OspreyServices

/// `/api/v1/training-jobs/{name}/metrics`: a job's metric series, `{"metrics": {"loss": [{"timestamp", "value"}, …]}}`.
extension NativeAPI {
    static let trainingJobsPrefix = "/api/v1/training-jobs/"

    /// Whether `path` is `/api/v1/training-jobs/{name}/metrics`.
    static func isTrainingMetricsPath(_ path: String) -> Bool {
        path.hasPrefix(trainingJobsPrefix) && path.hasSuffix("/metrics") && path.count > trainingJobsPrefix.count + "/metrics".count
    }

    /// Timestamps are epoch seconds (with milliseconds); `?name=` keeps one metric.
    func trainingMetrics(_ request: Request, path: String, accountId: String) async throws -> Response {
        let raw = String(path.dropFirst(Self.trainingJobsPrefix.count).dropLast("/metrics".count))
        let job = raw.removingPercentEncoding ?? raw
        let metric = request.uri.queryParameters["name"].map { String($0) }
        let series = try await metrics.series(jobName: job, accountId: accountId, metric: metric)
        let described = series.mapValues { points in
            points.map { ["timestamp": Double($0.timestamp) / 1000, "value": $0.value] }
        }
        return try Self.json(["metrics": described])
    }
}
