import Foundation
import OspreyCore
import Testing

@testable import OspreyStore

/// Opening, migrating, closing and reopening stores.
@Suite("Store lifecycle")
struct LifecycleTests {
    @Test(arguments: Backend.all)
    func migrationsApplyOnce(_ backend: Backend) async throws {
        try await withFreshDatabase(backend) { url in
            let first = try await SQLMetadataStore.open(url: url, logger: testLogger)
            #expect(try await first.appliedMigrationVersions() == Migrations.all.map(\.version))
            #expect(try await Migrations.apply(on: first.backend, logger: testLogger).isEmpty)
            await first.close()

            let second = try await SQLMetadataStore.open(url: url, logger: testLogger)
            #expect(try await second.appliedMigrationVersions() == Migrations.all.map(\.version))
            await second.close()
        }
    }

    @Test(arguments: Backend.all)
    func concurrentStartsMigrateOnce(_ backend: Backend) async throws {
        try await withFreshDatabase(backend) { url in
            // Every store that opened is closed, even when another failed: SQLiteNIO asserts on unclosed connections.
            let opened = await withTaskGroup(of: Result<SQLMetadataStore, any Error>.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        do { return .success(try await SQLMetadataStore.open(url: url, logger: testLogger)) } catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let stores = opened.compactMap { try? $0.get() }
            for store in stores {
                #expect(try await store.appliedMigrationVersions() == Migrations.all.map(\.version))
            }
            for store in stores { await store.close() }
            for result in opened { _ = try result.get() }
        }
    }

    @Test(arguments: Backend.all)
    func dataSurvivesReopen(_ backend: Backend) async throws {
        try await withFreshDatabase(backend) { url in
            let store = try await SQLMetadataStore.open(url: url, logger: testLogger)
            try await store.createBucket(bucket("keep"), event: event("BucketCreated"))
            try await store.putObject(object("keep", "k"), event: event("ObjectCreated"))
            await store.close()

            let reopened = try await SQLMetadataStore.open(url: url, logger: testLogger)
            #expect(try await reopened.object(bucket: "keep", key: "k") == object("keep", "k"))
            #expect(try await reopened.events(after: 0, accountId: nil, limit: 10).count == 2)
            // Sequence numbers continue after a restart.
            try await reopened.appendEvent(event("Later"))
            let sequences = try await reopened.events(after: 0, accountId: nil, limit: 10).map(\.sequence)
            #expect(sequences == sequences.sorted() && Set(sequences).count == 3)
            await reopened.close()
        }
    }

    @Test(arguments: Backend.all)
    func closedStoreRefusesCalls(_ backend: Backend) async throws {
        try await withFreshDatabase(backend) { url in
            let store = try await SQLMetadataStore.open(url: url, logger: testLogger)
            await store.close()
            await store.close()
            await expectError(.unavailable) { try await store.ping() }
            await expectError(.unavailable) { _ = try await store.bucket(named: "x") }
        }
    }

    @Test func closeWaitsForRunningCalls() async throws {
        try await withFreshDatabase(.sqlite) { url in
            let store = try await SQLMetadataStore.open(url: url, logger: testLogger)
            try await store.createBucket(bucket("busy"), event: event("BucketCreated"))
            let writes = Task {
                for index in 0..<50 { try await store.putObject(object("busy", "k\(index)"), event: nil) }
            }
            try await Task.sleep(for: .milliseconds(2))
            await store.close()
            // Every write either completed before the close or was refused; none failed half-way.
            do {
                try await writes.value
            } catch let error as OspreyError {
                #expect(error.code == .unavailable)
                #expect(error.message == "The metadata store is closed")
            }
        }
    }

    @Test func inMemorySQLite() async throws {
        let store = try await SQLMetadataStore.open(url: "sqlite::memory:", logger: testLogger)
        try await store.createBucket(bucket("mem"), event: event("BucketCreated"))
        try await store.putObject(object("mem", "k"), event: nil)
        #expect(try await store.listObjects(ObjectListQuery(bucket: "mem", limit: 10)).map(\.key) == ["k"])
        await store.close()
    }

    @Test func sqlitePragmas() async throws {
        try await withFreshDatabase(.sqlite) { url in
            let store = try await SQLMetadataStore.open(url: url, logger: testLogger)
            let pragmas = try await store.backend.transaction { database in
                let mode = try await database.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
                let sync = try await database.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
                let keys = try await database.raw("PRAGMA foreign_keys").first()?.decode(column: "foreign_keys", as: Int.self)
                return [mode ?? "", "\(sync ?? -1)", "\(keys ?? -1)"]
            }
            #expect(pragmas == ["wal", "1", "1"])
            await store.close()
        }
    }

    @Test func unreachablePostgresIsUnavailableWithoutPassword() async throws {
        do {
            _ = try await SQLMetadataStore.open(url: "postgres://osprey:s3cr3t-pw@127.0.0.1:1/osprey?connect_timeout=2", logger: testLogger)
            Issue.record("Opening an unreachable database succeeded")
        } catch let error as OspreyError {
            #expect(error.code == .unavailable)
            #expect(!error.message.contains("s3cr3t-pw"))
            #expect(error.message.contains("postgres://osprey@127.0.0.1:1/osprey"))
        }
    }

    @Test func unwritableSQLitePathIsUnavailable() async throws {
        await expectError(.unavailable) { _ = try await SQLMetadataStore.open(url: "sqlite:/proc/osprey/metadata.db", logger: testLogger) }
    }

    @Test func badURLIsValidationError() async throws {
        await expectError(.validation) { _ = try await SQLMetadataStore.open(url: "mysql://u:p@h/db", logger: testLogger) }
        await expectError(.validation) { _ = try await SQLMetadataStore.open(url: "sqlite:", logger: testLogger) }
    }
}

/// Prints the cost of an object put and get; runs only when `OSPREY_STORE_BENCH` is set (tests never assert on time).
@Suite("Store cost")
struct StoreCostTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["OSPREY_STORE_BENCH"] != nil), arguments: Backend.all)
    func putAndGetCost(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createBucket(bucket("bench"), event: event("BucketCreated"))
            let count = 2000
            let clock = ContinuousClock()
            let puts = try await clock.measure {
                for index in 0..<count { try await store.putObject(object("bench", "key-\(index)"), event: event("ObjectCreated")) }
            }
            let gets = try await clock.measure {
                for index in 0..<count { _ = try await store.object(bucket: "bench", key: "key-\(index)") }
            }
            print("\(backend): put \(puts / count) per object, get \(gets / count) per object")
        }
    }
}
