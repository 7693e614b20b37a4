import Foundation
import OspreyCore

/// A parsed metadata-store URL: which database to open and how.
enum StoreURL: Sendable, Equatable {
    case sqlite(SQLiteLocation)
    case postgres(PostgresLocation)

    /// Parses `sqlite:/abs.db`, `sqlite:relative.db`, `sqlite::memory:`, `postgres://user:pass@host:port/db` (or `postgresql://`).
    ///
    /// Relative SQLite paths are resolved against `currentDirectory`. Throws `.validation` with a message that never
    /// contains the password.
    static func parse(_ text: String, currentDirectory: String = FileManager.default.currentDirectoryPath) throws -> StoreURL {
        let lowered = text.lowercased()
        if lowered.hasPrefix("sqlite:") {
            return .sqlite(try SQLiteLocation.parse(String(text.dropFirst("sqlite:".count)), currentDirectory: currentDirectory))
        }
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            return .postgres(try PostgresLocation.parse(text))
        }
        let scheme = text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        throw OspreyError(
            .validation,
            "Unsupported metadata store URL scheme '\(scheme.prefix(20))': "
                + "use sqlite:/path/to/file.db, sqlite::memory: or postgres://user@host:port/db"
        )
    }

    /// The URL with its password removed, safe for messages and logs.
    var redacted: String {
        switch self {
        case .sqlite(.memory): "sqlite::memory:"
        case .sqlite(.file(let path)): "sqlite:\(path)"
        case .postgres(let location): location.redacted
        }
    }
}

/// Where an SQLite database lives.
enum SQLiteLocation: Sendable, Equatable {
    /// A private in-memory database, gone when the store closes.
    case memory
    /// A database file at an absolute path.
    case file(path: String)

    static func parse(_ rest: String, currentDirectory: String) throws -> SQLiteLocation {
        var path = rest
        if path == ":memory:" { return .memory }
        // Tolerate the `sqlite:///abs/path.db` spelling.
        if path.hasPrefix("//") { path.removeFirst(2) }
        if let query = path.firstIndex(of: "?") { path = String(path[..<query]) }
        guard !path.isEmpty else {
            throw OspreyError(.validation, "The sqlite: URL names no file: use sqlite:/path/to/file.db or sqlite::memory:")
        }
        if !path.hasPrefix("/") {
            path = URL(fileURLWithPath: currentDirectory).appendingPathComponent(path).standardizedFileURL.path
        }
        return .file(path: path)
    }
}

/// A PostgreSQL server and database, with the options the URL gave.
struct PostgresLocation: Sendable, Equatable {
    /// How to use TLS, named as libpq's `sslmode` names it.
    enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var tls: TLSMode
    var connectTimeout: Duration

    /// `postgres://user@host:port/db`, without the password.
    var redacted: String { "postgres://\(username)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    static func parse(_ text: String) throws -> PostgresLocation {
        let invalid = OspreyError(.validation, "The PostgreSQL URL is malformed: use postgres://user:password@host:port/database")
        guard let components = URLComponents(string: text) else { throw invalid }
        guard let host = components.host, !host.isEmpty else {
            throw OspreyError(.validation, "The PostgreSQL URL names no host: use postgres://user:password@host:port/database")
        }
        guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw OspreyError(.validation, "The PostgreSQL URL names no user: use postgres://user:password@host:port/database")
        }
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        var database = components.percentEncodedPath.removingPercentEncoding ?? ""
        if database.hasPrefix("/") { database.removeFirst() }
        if database.isEmpty { database = user }
        guard !database.contains("/") else { throw invalid }
        var location = PostgresLocation(
            host: host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host,
            port: components.port ?? 5432,
            username: user,
            password: password,
            database: database,
            tls: .prefer,
            connectTimeout: .seconds(10)
        )
        guard (1...65535).contains(location.port) else {
            throw OspreyError(.validation, "The PostgreSQL URL's port \(location.port) is out of range")
        }
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw OspreyError(.validation, "Unsupported sslmode '\(value)': use disable, prefer, require, verify-ca or verify-full")
                }
                location.tls = mode
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw OspreyError(.validation, "connect_timeout must be a positive number of seconds, not '\(value)'")
                }
                location.connectTimeout = .seconds(seconds)
            default:
                throw OspreyError(.validation, "Unsupported PostgreSQL URL parameter '\(item.name)': use sslmode or connect_timeout")
            }
        }
        return location
    }
}
