extension Migrations {
    /// Migration 7: batch transform jobs, each row a JSON document beside the columns that listings filter and sort on.
    static let transformJobs = Migration(version: 7, name: "transform jobs") { dialect in
        let key = dialect.keyText
        return [
            """
            CREATE TABLE transform_jobs (
                account_id \(key) NOT NULL,
                name \(key) NOT NULL,
                status \(key) NOT NULL,
                creation_time BIGINT NOT NULL,
                last_modified_time BIGINT NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (account_id, name)
            )
            """,
            "CREATE INDEX transform_jobs_by_creation ON transform_jobs (account_id, creation_time)",
            "CREATE INDEX transform_jobs_unfinished ON transform_jobs (status)",
        ]
    }
}
