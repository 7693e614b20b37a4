extension Migrations {
    /// Migration 3: training jobs, each row a JSON document beside the columns that listings filter and sort on.
    static let trainingJobs = Migration(version: 3, name: "training jobs") { dialect in
        let key = dialect.keyText
        return [
            """
            CREATE TABLE training_jobs (
                account_id \(key) NOT NULL,
                name \(key) NOT NULL,
                status \(key) NOT NULL,
                creation_time BIGINT NOT NULL,
                last_modified_time BIGINT NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (account_id, name)
            )
            """,
            "CREATE INDEX training_jobs_by_creation ON training_jobs (account_id, creation_time)",
            "CREATE INDEX training_jobs_unfinished ON training_jobs (status)",
        ]
    }
}
