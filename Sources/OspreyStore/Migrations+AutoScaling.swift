extension Migrations {
    /// Migration 8: Application Auto Scaling's scalable targets, scaling policies and scaling activities, each row a JSON
    /// document beside the columns that lookups and listings use.
    static let autoScaling = Migration(version: 8, name: "auto scaling") { dialect in
        let key = dialect.keyText
        return [
            """
            CREATE TABLE autoscaling_targets (
                account_id \(key) NOT NULL,
                resource_id \(key) NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (account_id, resource_id)
            )
            """,
            """
            CREATE TABLE autoscaling_policies (
                account_id \(key) NOT NULL,
                resource_id \(key) NOT NULL,
                name \(key) NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (account_id, resource_id, name)
            )
            """,
            """
            CREATE TABLE autoscaling_activities (
                account_id \(key) NOT NULL,
                id \(key) NOT NULL,
                resource_id \(key) NOT NULL,
                start_time BIGINT NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (account_id, id)
            )
            """,
            "CREATE INDEX autoscaling_activities_by_resource ON autoscaling_activities (account_id, resource_id, start_time)",
            "CREATE INDEX autoscaling_activities_by_time ON autoscaling_activities (account_id, start_time)",
        ]
    }
}
