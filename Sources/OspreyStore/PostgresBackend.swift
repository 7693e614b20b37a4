import Logging
import OspreyCore
import PostgresKit

/// PostgreSQL through a `PostgresClient` pool whose `run()` this backend owns.
final class PostgresBackend: StoreBackend {
    let dialect = StoreDialect.postgres
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger: Logger

    private init(client: PostgresClient, runTask: Task<Void, Never>, logger: Logger) {
        self.client = client
        self.runTask = runTask
        self.logger = logger
    }

    /// Starts the pool and checks that the database answers within the URL's connect timeout.
    static func connect(_ location: PostgresLocation, logger: Logger) async throws -> PostgresBackend {
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: tls(location.tls)
        )
        configuration.options.connectTimeout = location.connectTimeout
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runTask = Task { await client.run() }
        let backend = PostgresBackend(client: client, runTask: runTask, logger: logger)
        do {
            try await withDeadline(location.connectTimeout + .seconds(1)) {
                try await backend.read { try await $0.raw("SELECT 1").run() }
            }
            return backend
        } catch {
            await backend.close()
            throw OspreyError(.unavailable, "Cannot connect to PostgreSQL at \(location.redacted): \(reason(error))", cause: error)
        }
    }

    private static func tls(_ mode: PostgresLocation.TLSMode) -> PostgresClient.Configuration.TLS {
        var verified = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable:
            return .disable
        case .prefer:
            verified.certificateVerification = .none
            return .prefer(verified)
        case .require:
            verified.certificateVerification = .none
            return .require(verified)
        case .verifyCA:
            verified.certificateVerification = .noHostnameVerification
            return .require(verified)
        case .verifyFull:
            return .require(verified)
        }
    }

    /// A short reason for a failed connection, without connection parameters.
    private static func reason(_ error: any Error) -> String {
        if error is DeadlineExceeded { return "no answer in time" }
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await body(connection.sql(queryLogLevel: .trace))
        }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await dialect.runTransaction(on: connection.sql(queryLogLevel: .trace), logger: logger, body)
        }
    }

    func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await read(body)
    }

    func close() async {
        runTask.cancel()
        await runTask.value
    }
}

/// Thrown by `withDeadline` when the operation did not finish in time.
struct DeadlineExceeded: Error {}

/// Runs `operation`, cancelling it and throwing `DeadlineExceeded` when it takes longer than `duration`.
func withDeadline<T: Sendable>(_ duration: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded() }
        return value
    }
}

extension PostgresBackend {
    /// Runs raw statements one by one outside any transaction (`CREATE DATABASE` refuses to run inside one).
    ///
    /// For administration and tests; the store itself never calls it.
    func execute(_ statements: [String]) async throws {
        try await read { database in
            for statement in statements { try await database.raw(SQLQueryString(statement)).run() }
        }
    }
}
