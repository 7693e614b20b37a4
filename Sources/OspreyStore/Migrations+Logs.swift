extension Migrations {
    /// Migration 2: CloudWatch Logs groups, streams and events.
    ///
    /// Events are numbered per stream (`sequence`, from 1); the stream row is the lock appends take, so a stream's numbers
    /// commit in order. `log_events_by_time` serves FilterLogEvents (time order across a group's streams);
    /// `log_streams_by_last_event` serves DescribeLogStreams ordered by LastEventTime (streams without events as -1).
    static let logs = Migration(version: 2, name: "cloudwatch logs") { dialect in
        let key = dialect.keyText
        return [
            """
            CREATE TABLE log_groups (
                account_id \(key) NOT NULL,
                name \(key) NOT NULL,
                creation_time BIGINT NOT NULL,
                PRIMARY KEY (account_id, name)
            )
            """,
            """
            CREATE TABLE log_streams (
                account_id \(key) NOT NULL,
                group_name \(key) NOT NULL,
                name \(key) NOT NULL,
                creation_time BIGINT NOT NULL,
                first_event_timestamp BIGINT,
                last_event_timestamp BIGINT,
                last_ingestion_time BIGINT,
                source_offset BIGINT NOT NULL,
                PRIMARY KEY (account_id, group_name, name),
                FOREIGN KEY (account_id, group_name) REFERENCES log_groups (account_id, name)
            )
            """,
            """
            CREATE INDEX log_streams_by_last_event ON log_streams \
            (account_id, group_name, (COALESCE(last_event_timestamp, -1)), name)
            """,
            """
            CREATE TABLE log_events (
                account_id \(key) NOT NULL,
                group_name \(key) NOT NULL,
                stream_name \(key) NOT NULL,
                sequence BIGINT NOT NULL,
                "timestamp" BIGINT NOT NULL,
                ingestion_time BIGINT NOT NULL,
                message TEXT NOT NULL,
                PRIMARY KEY (account_id, group_name, stream_name, sequence),
                FOREIGN KEY (account_id, group_name, stream_name) REFERENCES log_streams (account_id, group_name, name)
            )
            """,
            "CREATE INDEX log_events_by_time ON log_events (account_id, group_name, \"timestamp\", stream_name, sequence)",
        ]
    }
}
