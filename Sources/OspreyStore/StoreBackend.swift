import Logging
import SQLKit

/// A database behind the store: where reads run and how a write becomes one transaction.
protocol StoreBackend: Sendable {
    var dialect: StoreDialect { get }

    /// Runs `body` on a connection in autocommit mode. Each statement sees a consistent snapshot; several statements may not.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs `body` in one write transaction on one connection: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs `body` on a connection that may write, in autocommit mode: each statement commits (or fails) on its own.
    func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Closes every connection. Called once, after the last operation ended.
    func close() async
}

extension StoreDialect {
    /// Runs `body` between BEGIN and COMMIT on `database`, which must be bound to a single connection.
    func runTransaction<T: Sendable>(
        on database: any SQLDatabase, logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await database.raw(beginWrite).run()
        do {
            let value = try await body(database)
            try await database.raw("COMMIT").run()
            return value
        } catch {
            do {
                try await database.raw("ROLLBACK").run()
            } catch {
                // PostgreSQL ends a transaction whose COMMIT failed; a broken connection ends it too.
                logger.debug("ROLLBACK after a failed transaction failed", metadata: ["error": "\(error)"])
            }
            throw error
        }
    }
}
