import OspreyCore
import SQLKit

/// Metric time series of training jobs: one row per (line, metric), capped per job.
extension SQLMetadataStore {
    /// Rows per `INSERT`: 7 binds each stays far below SQLite's and PostgreSQL's bind limits.
    static let metricRowsPerInsert = 1000

    @discardableResult
    public func appendTrainingMetrics(accountId: String, jobName: String, points: [TrainingMetricPoint], limit: Int) async throws -> Int {
        guard !points.isEmpty, limit > 0 else { return 0 }
        return try await write("storing training metrics") { database in
            let stored =
                try await database.raw(
                    """
                    SELECT COUNT(*) AS stored FROM training_metrics WHERE account_id = \(bind: accountId) AND job_name = \(bind: jobName)
                    """
                ).first()?.int64("stored") ?? 0
            let kept = points.prefix(max(0, limit - Int(stored)))
            var inserted = 0
            var start = kept.startIndex
            while start < kept.endIndex {
                let chunk = kept[start..<min(start + Self.metricRowsPerInsert, kept.endIndex)]
                let values: [SQLQueryString] = chunk.map { point in
                    """
                    (\(bind: accountId), \(bind: jobName), \(bind: point.metric), \(bind: point.stream), \(bind: point.offset), \
                    \(bind: point.timestamp), \(bind: point.value))
                    """
                }
                inserted +=
                    try await database.raw(
                        """
                        INSERT INTO training_metrics (account_id, job_name, metric_name, stream_name, source_offset, "timestamp", "value") \
                        VALUES \(values.joined(separator: ", ")) \
                        ON CONFLICT (account_id, job_name, stream_name, source_offset, metric_name) DO NOTHING RETURNING metric_name
                        """
                    ).all().count
                start = chunk.endIndex
            }
            return inserted
        }
    }

    public func trainingMetrics(accountId: String, jobName: String, metric: String?) async throws -> [TrainingMetricPoint] {
        try await read("reading training metrics") { database in
            var query: SQLQueryString = """
                SELECT metric_name, stream_name, source_offset, "timestamp", "value" FROM training_metrics \
                WHERE account_id = \(bind: accountId) AND job_name = \(bind: jobName)
                """
            if let metric { query += " AND metric_name = \(bind: metric)" }
            query += " ORDER BY metric_name, \"timestamp\", stream_name, source_offset"
            return try await database.raw(query).all().map { row in
                TrainingMetricPoint(
                    metric: try row.string("metric_name"), value: try row.decode(column: "value", as: Double.self),
                    timestamp: try row.int64("timestamp"), stream: try row.string("stream_name"), offset: try row.int64("source_offset")
                )
            }
        }
    }
}
