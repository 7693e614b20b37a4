extension Migrations {
    /// Migration 4: secrets, one row per (account, name), the value sealed with the master key.
    static let secrets = Migration(version: 4, name: "secrets") { dialect in
        let key = dialect.keyText
        return [
            """
            CREATE TABLE secrets (
                account_id \(key) NOT NULL,
                name \(key) NOT NULL,
                sealed_value \(dialect.bytes) NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (account_id, name)
            )
            """
        ]
    }
}
