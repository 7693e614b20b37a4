import Logging
import OspreyCore
import SQLKit
import ServiceLifecycle
import Synchronization

/// The metadata store on SQLite or PostgreSQL: one SQLKit code path, versioned migrations, one transaction per change.
///
/// Open it with `open(url:logger:)` and call `close()` when done (or run it as a `Service`, which closes it on graceful
/// shutdown). Failures come as `OspreyError`: the port's codes for conflicts and missing parents, `.unavailable` when the
/// database cannot be reached (or the store is closed), `.internalError` for anything else, with the database error as
/// `cause`.
public final class SQLMetadataStore: MetadataStore, Service {
    let backend: any StoreBackend
    let logger: Logger
    /// On SQLite only, where one server owns the database file; on PostgreSQL, which several servers may share, every
    /// bucket read goes to the database (see `BucketCache`).
    let bucketCache: BucketCache?
    private let state = Mutex(LifecycleState())

    private struct LifecycleState {
        var operations = 0
        var closed = false
        var drained: [CheckedContinuation<Void, Never>] = []
        var closing: Task<Void, Never>?
    }

    init(backend: any StoreBackend, logger: Logger) {
        self.backend = backend
        self.logger = logger
        self.bucketCache = backend is SQLiteBackend ? BucketCache() : nil
    }

    /// Connects to the database named by `url`, applies pending migrations, and returns a ready store.
    ///
    /// `url` is `sqlite:/abs/path.db`, `sqlite:relative.db` (against the working directory), `sqlite::memory:`, or
    /// `postgres://user:password@host:port/database` (also `postgresql://`; options `sslmode` and `connect_timeout`).
    /// An SQLite file and its folder are created when missing. Throws `.validation` for a bad URL and `.unavailable`
    /// when the database cannot be opened or reached; messages never contain the password.
    public static func open(url: String, logger: Logger) async throws -> SQLMetadataStore {
        let parsed = try StoreURL.parse(url)
        let backend: any StoreBackend
        switch parsed {
        case .sqlite(let location): backend = try await SQLiteBackend.open(location, logger: logger)
        case .postgres(let location): backend = try await PostgresBackend.connect(location, logger: logger)
        }
        let store = SQLMetadataStore(backend: backend, logger: logger)
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        logger.info("Metadata store ready", metadata: ["url": "\(parsed.redacted)"])
        return store
    }

    /// Waits for running calls to finish, then closes every connection. Later calls throw `.unavailable`.
    ///
    /// Idempotent: a second call waits for the first to finish.
    public func close() async {
        let closing = state.withLock { state -> Task<Void, Never> in
            if let closing = state.closing { return closing }
            state.closed = true
            let closing = Task { [backend] in
                await self.drain()
                await backend.close()
            }
            state.closing = closing
            return closing
        }
        await closing.value
    }

    /// Runs until graceful shutdown (or cancellation), then closes the store.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    public func ping() async throws {
        try await read("checking the database") { try await $0.raw("SELECT 1").run() }
    }

    /// The schema versions applied to the database, ascending.
    func appliedMigrationVersions() async throws -> [Int] {
        try await operation("reading the schema version") { try await Migrations.appliedVersions(on: backend) }
    }

    /// Applies pending migrations, waiting out other processes that start on the same database at the same time.
    private func migrate() async throws {
        var attempt = 1
        while true {
            do {
                _ = try await operation("migrating the schema") { try await Migrations.apply(on: backend, logger: logger) }
                return
            } catch let error as OspreyError where error.code == .unavailable && DatabaseFailure.isBusy(error.cause) && attempt < 6 {
                try await Task.sleep(for: .milliseconds(100 * attempt))
                attempt += 1
            }
        }
    }

    // MARK: Running statements

    /// Runs reads in autocommit mode, mapping database errors to `OspreyError`.
    func read<T: Sendable>(_ action: String, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await operation(action) { try await backend.read(body) }
    }

    /// Runs `body` as one transaction, retried when it loses a race the database can only resolve by aborting it.
    ///
    /// A unique-constraint violation becomes `conflict`, a foreign-key violation `missingParent`, when given. The
    /// transaction runs in a task of its own, so cancelling the caller never leaves it half-done: once started it
    /// commits or rolls back.
    func write<T: Sendable>(
        _ action: String,
        conflict: OspreyError? = nil,
        missingParent: OspreyError? = nil,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await operation(action) {
            try await Task {
                try await self.withRetries(action, conflict: conflict, missingParent: missingParent) { [backend] in
                    try await backend.transaction(body)
                }
            }.value
        }
    }

    /// `write` for a change that is one statement: `body` runs in autocommit mode, so its statement commits on its own
    /// without a BEGIN and COMMIT around it. Same errors, retries and cancellation as `write`.
    func writeStatement<T: Sendable>(
        _ action: String,
        conflict: OspreyError? = nil,
        missingParent: OspreyError? = nil,
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await operation(action) {
            try await Task {
                try await self.withRetries(action, conflict: conflict, missingParent: missingParent) { [backend] in
                    try await backend.autocommit(body)
                }
            }.value
        }
    }

    private func withRetries<T: Sendable>(
        _ action: String, conflict: OspreyError?, missingParent: OspreyError?, _ run: @Sendable () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await run()
            } catch let error where !(error is OspreyError) {
                let failure = DatabaseFailure(error)
                if failure == .retryable && attempt < 3 {
                    attempt += 1
                    logger.debug("Retrying a transaction that lost a race", metadata: ["action": "\(action)"])
                    continue
                }
                if failure == .uniqueViolation, let conflict { throw conflict }
                if failure == .foreignKeyViolation, let missingParent { throw missingParent }
                throw error
            }
        }
    }

    /// Counts the call as running (so `close` waits for it) and maps its errors.
    private func operation<T>(_ action: String, _ body: () async throws -> T) async throws -> T {
        let admitted = state.withLock { state in
            if state.closed { return false }
            state.operations += 1
            return true
        }
        guard admitted else { throw OspreyError(.unavailable, "The metadata store is closed") }
        defer { finishOperation() }
        do {
            return try await body()
        } catch let error as OspreyError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch {
            throw mapped(error, action: action)
        }
    }

    private func finishOperation() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.operations -= 1
            guard state.operations == 0 else { return [] }
            defer { state.drained = [] }
            return state.drained
        }
        for waiter in waiters { waiter.resume() }
    }

    private func drain() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state in
                if state.operations == 0 { return true }
                state.drained.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    private func mapped(_ error: any Error, action: String) -> OspreyError {
        switch DatabaseFailure(error) {
        case .unavailable, .retryable:
            logger.warning("Metadata database unavailable", metadata: ["action": "\(action)", "error": "\(String(reflecting: error))"])
            return OspreyError(.unavailable, "The metadata database is unavailable while \(action); try again later", cause: error)
        case .uniqueViolation, .foreignKeyViolation, .other:
            logger.error("Metadata store failure", metadata: ["action": "\(action)", "error": "\(String(reflecting: error))"])
            return OspreyError(.internalError, "The metadata store failed while \(action)", cause: error)
        }
    }

    // MARK: Events

    /// Appends `event` to the outbox inside the current transaction. Call it last, so the event lock is held briefly.
    func insertEvent(_ event: NewEvent, on database: any SQLDatabase) async throws {
        if let lock = backend.dialect.eventOrderLock { try await database.raw(lock).run() }
        try await database.raw(
            """
            INSERT INTO events (account_id, "type", resource, detail, "time") VALUES \
            (\(bind: event.accountId), \(bind: event.type), \(bind: event.resource), \(bind: event.detail), \(bind: event.time.epochMilliseconds))
            """
        ).run()
    }
}

/// Buckets recently read by `bucket(named:)`, so the S3 object path does not query its bucket on every request.
///
/// Only found buckets are kept, each for `timeToLive`. This store's own bucket changes drop the entry at once; a
/// change made by another server on the same database is seen within `timeToLive` (which is why only SQLite stores,
/// normally one server's own file, use it). Object writes stay safe without the
/// cache's help: an object row references its bucket by foreign key, so a bucket deleted anywhere refuses new objects
/// at once. What a stale entry can do is, for at most `timeToLive` after another server deleted a bucket, answer
/// HeadBucket or GetObject as though it still existed (`NoSuchKey` instead of `NoSuchBucket`), or, had someone
/// re-created the name in that window, check ownership against the old owner.
final class BucketCache: Sendable {
    static let timeToLive = Duration.seconds(1)

    private struct State {
        var entries: [String: (bucket: Bucket, expires: ContinuousClock.Instant)] = [:]
        /// Bumped by every invalidation, so a read that began before one never stores what it read.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The cached bucket, unless absent or expired.
    func bucket(named name: String) -> Bucket? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[name], entry.expires > now else { return nil }
            return entry.bucket
        }
    }

    /// The generation to pass to `store` after reading the database.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Remembers `bucket`, read from the database after `generation` was taken, unless something was invalidated since.
    func store(_ bucket: Bucket, readAt generation: UInt64) {
        let expires = ContinuousClock.now + Self.timeToLive
        state.withLock { state in
            guard state.generation == generation else { return }
            // A bound, not an eviction policy: buckets are few, and a wiped cache costs one read per bucket.
            if state.entries.count >= 10_000 { state.entries.removeAll() }
            state.entries[bucket.name] = (bucket, expires)
        }
    }

    /// Forgets `name`; call it before and after changing the bucket's row.
    func invalidate(_ name: String) {
        state.withLock { state in
            state.generation &+= 1
            state.entries[name] = nil
        }
    }
}
