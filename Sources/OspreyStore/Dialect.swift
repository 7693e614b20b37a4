import OspreyCore
import PostgresKit
import SQLiteKit

/// Every place where SQLite and PostgreSQL must differ: DDL types, transaction start, locks, error codes.
///
/// Everything else in the store is one SQLKit code path.
enum StoreDialect: Sendable {
    case sqlite
    case postgres

    /// The type of text columns that are keys or sort orders: compared in UTF-8 byte order on both databases.
    var keyText: String {
        switch self {
        case .sqlite: "TEXT"  // BINARY collation: memcmp of UTF-8.
        case .postgres: "TEXT COLLATE \"C\""
        }
    }

    /// The type of byte-array columns.
    var bytes: String {
        switch self {
        case .sqlite: "BLOB"
        case .postgres: "BYTEA"
        }
    }

    /// An auto-incrementing 64-bit primary key whose values are never reused.
    var sequencePrimaryKey: String {
        switch self {
        case .sqlite: "INTEGER PRIMARY KEY AUTOINCREMENT"
        case .postgres: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        }
    }

    /// Starts a write transaction. SQLite takes its write lock up front so the transaction cannot fail to upgrade later.
    var beginWrite: SQLQueryString {
        switch self {
        case .sqlite: "BEGIN IMMEDIATE"
        case .postgres: "BEGIN"
        }
    }

    /// Held until commit by every transaction that inserts an event, so sequence numbers become visible in commit order.
    ///
    /// SQLite needs none: its single writer already serializes transactions.
    var eventOrderLock: SQLQueryString? {
        switch self {
        case .sqlite: nil
        case .postgres: "SELECT pg_advisory_xact_lock(\(literal: Self.eventLockKey))"
        }
    }

    /// Held by each migration's transaction so concurrent starts apply each migration once.
    var migrationLock: SQLQueryString? {
        switch self {
        case .sqlite: nil
        case .postgres: "SELECT pg_advisory_xact_lock(\(literal: Self.migrationLockKey))"
        }
    }

    /// Advisory lock keys: "osprey" in ASCII, then a kind.
    private static let eventLockKey = 0x6F73_7072_6579_0001
    private static let migrationLockKey = 0x6F73_7072_6579_0002
}

/// What a database error means to the store.
enum DatabaseFailure: Sendable, Equatable {
    /// A unique or primary-key constraint rejected the row.
    case uniqueViolation
    /// A foreign key found no parent row (insert) or still had child rows (delete).
    case foreignKeyViolation
    /// The transaction lost a race (deadlock, serialization failure) and may be retried as a whole.
    case retryable
    /// The database cannot be reached or is shutting down.
    case unavailable
    /// Anything else: a bug or a corrupt database.
    case other

    /// Classifies an error thrown by SQLiteNIO or PostgresNIO.
    init(_ error: any Error) {
        if let error = error as? SQLiteError {
            self = Self.classify(sqlite: error.reason)
        } else if let error = error as? PSQLError {
            self = Self.classify(postgres: error)
        } else {
            self = .other
        }
    }

    /// Whether `error` is SQLite reporting that another connection held its lock past the busy timeout.
    static func isBusy(_ error: (any Error)?) -> Bool {
        switch (error as? SQLiteError)?.reason {
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked: true
        default: false
        }
    }

    private static func classify(sqlite reason: SQLiteError.Reason) -> DatabaseFailure {
        switch reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraintUniqueRowIDFailed: .uniqueViolation
        case .constraintForeignKeyFailed: .foreignKeyViolation
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked, .cantOpen, .cantOpenDirectory, .full, .ioError,
            .readOnly, .readonlyCantLock, .readonlyDirectory, .readonlyInRecovery, .permission:
            .unavailable
        default: .other
        }
    }

    private static func classify(postgres error: PSQLError) -> DatabaseFailure {
        guard error.code == .server else {
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown, .sslUnsupported,
                .failedToAddSSLHandler, .queryCancelled:
                return .unavailable
            default:
                return .other
            }
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        switch state {
        case "23505": return .uniqueViolation
        case "23503": return .foreignKeyViolation
        case "40001", "40P01": return .retryable
        default: break
        }
        // Connection exceptions, insufficient resources, operator intervention (shutdown), system errors.
        if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57") || state.hasPrefix("58") {
            return .unavailable
        }
        return .other
    }
}
