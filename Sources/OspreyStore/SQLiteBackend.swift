import Foundation
import Logging
import OspreyCore
import SQLiteKit
import Synchronization

/// SQLite in WAL mode: one writer connection behind an async lock, and a few reader connections that never wait for it.
///
/// The connections run their blocking calls on a thread pool of their own (one thread each), so a statement waiting
/// for another process's lock never holds up other stores. An in-memory database has a single connection, so its reads
/// take the writer's lock too.
final class SQLiteBackend: StoreBackend {
    let dialect = StoreDialect.sqlite
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let threadPool: NIOThreadPool
    private let writeLock = AsyncLock()
    private let nextReader = Atomic<Int>(0)
    private let logger: Logger

    /// How long a statement waits for another process's lock before failing with SQLITE_BUSY.
    static let busyTimeoutMilliseconds = 5000
    static let readerCount = 2

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], threadPool: NIOThreadPool, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Opens the writer (creating the file and its folder if needed) and the readers, and sets their pragmas.
    static func open(_ location: SQLiteLocation, logger: Logger) async throws -> SQLiteBackend {
        let storage: SQLiteConnection.Storage
        switch location {
        case .memory:
            storage = .memory
        case .file(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw OspreyError(.unavailable, "Cannot create the folder \(folder.path) for the SQLite database", cause: error)
            }
            storage = .file(path: path)
        }
        let threadPool = NIOThreadPool(numberOfThreads: storage == .memory ? 1 : 1 + readerCount)
        threadPool.start()
        func connect() async throws -> SQLiteConnection {
            try await SQLiteConnection.open(storage: storage, threadPool: threadPool, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        }
        var opened: [SQLiteConnection] = []
        do {
            let writer = try await connect()
            opened.append(writer)
            try await configure(writer, storage: storage, role: .writer)
            var readers: [SQLiteConnection] = []
            if storage != .memory {
                for _ in 0..<readerCount {
                    let reader = try await connect()
                    opened.append(reader)
                    try await configure(reader, storage: storage, role: .reader)
                    readers.append(reader)
                }
            }
            return SQLiteBackend(writer: writer, readers: readers, threadPool: threadPool, logger: logger)
        } catch {
            for connection in opened { try? await connection.close() }
            try? await threadPool.shutdownGracefully()
            if error is OspreyError { throw error }
            throw OspreyError(.unavailable, "Cannot open the SQLite database at \(StoreURL.sqlite(location).redacted): \(error)", cause: error)
        }
    }

    private enum Role { case writer, reader }

    private static func configure(_ connection: SQLiteConnection, storage: SQLiteConnection.Storage, role: Role) async throws {
        let database = connection.sql(queryLogLevel: .trace)
        // Replaces SQLiteNIO's busy handler, which retries forever without sleeping.
        try await database.raw("PRAGMA busy_timeout = \(literal: busyTimeoutMilliseconds)").run()
        switch role {
        case .writer:
            if storage != .memory {
                let mode = try await database.raw("PRAGMA journal_mode = WAL").first()?.decode(column: "journal_mode", as: String.self)
                guard mode?.lowercased() == "wal" else {
                    throw OspreyError(.unavailable, "The SQLite database refused WAL mode (journal_mode is \(mode ?? "unknown"))")
                }
            }
            try await database.raw("PRAGMA synchronous = NORMAL").run()
            try await database.raw("PRAGMA foreign_keys = ON").run()
        case .reader:
            try await database.raw("PRAGMA query_only = ON").run()
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        guard !readers.isEmpty else {
            return try await writeLock.withLock { try await body(writer.sql(queryLogLevel: .trace)) }
        }
        let turn = UInt(bitPattern: nextReader.add(1, ordering: .relaxed).newValue)
        let index = Int(turn % UInt(readers.count))
        return try await body(readers[index].sql(queryLogLevel: .trace))
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            try await dialect.runTransaction(on: writer.sql(queryLogLevel: .trace), logger: logger, body)
        }
    }

    func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeLock.withLock { try await body(writer.sql(queryLogLevel: .trace)) }
    }

    func close() async {
        do {
            try await writeLock.withLock {
                for reader in readers { try await reader.close() }
                try await writer.close()
            }
        } catch {
            logger.warning("Closing the SQLite database failed", metadata: ["error": "\(error)"])
        }
        try? await threadPool.shutdownGracefully()
    }
}
