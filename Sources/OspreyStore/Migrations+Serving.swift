extension Migrations {
    /// Migration 6: SageMaker models, endpoint configurations and endpoints. Each row is a JSON document beside the columns
    /// that listings filter and sort on; tags have a column of their own, so tag changes never race status changes. The ARN
    /// (whose name is lowercased) is unique, so names differing only in case cannot both exist, as in SageMaker.
    static let serving = Migration(version: 6, name: "models, endpoint configurations and endpoints") { dialect in
        let key = dialect.keyText
        func table(_ name: String, extra: String = "") -> String {
            """
            CREATE TABLE \(name) (
                account_id \(key) NOT NULL,
                name \(key) NOT NULL,
                arn \(key) NOT NULL UNIQUE,
                creation_time BIGINT NOT NULL,\(extra)
                document TEXT NOT NULL,
                tags TEXT NOT NULL,
                PRIMARY KEY (account_id, name)
            )
            """
        }
        let endpointColumns = "\n    status \(key) NOT NULL,\n    last_modified_time BIGINT NOT NULL,"
        return [
            table("sagemaker_models"),
            "CREATE INDEX sagemaker_models_by_creation ON sagemaker_models (account_id, creation_time)",
            table("sagemaker_endpoint_configs"),
            "CREATE INDEX sagemaker_endpoint_configs_by_creation ON sagemaker_endpoint_configs (account_id, creation_time)",
            table("sagemaker_endpoints", extra: endpointColumns),
            "CREATE INDEX sagemaker_endpoints_by_creation ON sagemaker_endpoints (account_id, creation_time)",
        ]
    }
}
