extension Migrations {
    /// Migration 5: user image mappings (server-wide) and the metric time series of training jobs.
    ///
    /// A metric point's key is where its line is (stream and byte offset in the host's log file) and the metric, so a line read
    /// again after a restart stores nothing twice; `training_metrics_by_time` serves reading a series in time order.
    static let imagesAndMetrics = Migration(version: 5, name: "image mappings and training metrics") { dialect in
        let key = dialect.keyText
        return [
            """
            CREATE TABLE image_mappings (
                pattern \(key) PRIMARY KEY,
                environment TEXT NOT NULL,
                python TEXT,
                packages TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE training_metrics (
                account_id \(key) NOT NULL,
                job_name \(key) NOT NULL,
                metric_name \(key) NOT NULL,
                stream_name \(key) NOT NULL,
                source_offset BIGINT NOT NULL,
                "timestamp" BIGINT NOT NULL,
                "value" DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (account_id, job_name, stream_name, source_offset, metric_name)
            )
            """,
            """
            CREATE INDEX training_metrics_by_time ON training_metrics \
            (account_id, job_name, metric_name, "timestamp", stream_name, source_offset)
            """,
        ]
    }
}
