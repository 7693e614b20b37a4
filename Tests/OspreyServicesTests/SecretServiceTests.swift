import Crypto
import Foundation
import Logging
import OspreyCore
import OspreyServices
import OspreyStore
import Testing

@Suite("Secret service")
struct SecretServiceTests {
    static let account = "111111111111"
    static let masterKey = SymmetricKey(size: .bits256)

    /// Runs `body` with a real SQLite store in a fresh temporary folder, closed and removed afterwards.
    static func withStore(_ body: (SQLMetadataStore, _ folder: String) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-secrets-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let store = try await SQLMetadataStore.open(url: "sqlite:\(root)/osprey.db", logger: logger)
        do {
            try await body(store, root)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// The code of the `OspreyError` `body` throws; nil when it succeeds.
    static func errorCode(_ body: () async throws -> Void) async -> OspreyError.Code? {
        do {
            try await body()
            return nil
        } catch {
            return (error as? OspreyError)?.code ?? OspreyError.Code(rawValue: "not an OspreyError: \(error)")
        }
    }

    @Test func valuesRoundTripSealedAtRest() async throws {
        try await Self.withStore { store, folder in
            let secrets = SecretService(store: store, masterKey: Self.masterKey)
            let value = "hunter2-é-\u{1F511}\nsecond line"
            #expect(try await secrets.put(accountId: Self.account, name: "db/password", value: value))
            #expect(try await secrets.value(accountId: Self.account, name: "db/password") == value)
            #expect(try await secrets.value(accountId: "222222222222", name: "db/password") == nil)
            #expect(try await secrets.value(accountId: Self.account, name: "other") == nil)

            // The stored bytes are sealed: neither the value nor any long piece of it is there.
            let stored = try #require(try await store.secret(accountId: Self.account, name: "db/password"))
            #expect(Data(stored.sealedValue).range(of: Data("hunter2".utf8)) == nil)
            #expect(stored.sealedValue.count == value.utf8.count + 28)  // nonce + tag
            // Nor in any of the database's files (with its journal), nor in the events.
            for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent(file))
                #expect(bytes.range(of: Data("hunter2".utf8)) == nil, "\(file)")
            }
            let events = try await store.events(after: 0, accountId: Self.account, limit: 10)
            #expect(events.allSatisfy { !$0.event.detail.contains("hunter2") })

            #expect(try await secrets.put(accountId: Self.account, name: "db/password", value: "next") == false)
            #expect(try await secrets.value(accountId: Self.account, name: "db/password") == "next")
            #expect(try await secrets.list(accountId: Self.account).map(\.name) == ["db/password"])
        }
    }

    @Test func anotherMasterKeyOrAMovedValueCannotOpen() async throws {
        try await Self.withStore { store, _ in
            try await SecretService(store: store, masterKey: Self.masterKey).put(accountId: Self.account, name: "token", value: "s3cr3t")
            let wrong = SecretService(store: store, masterKey: SymmetricKey(size: .bits256))
            #expect(await Self.errorCode { _ = try await wrong.value(accountId: Self.account, name: "token") } == .internalError)

            // Sealed bytes copied under another name (or account) do not open: the seal is bound to both.
            let sealed = try #require(try await store.secret(accountId: Self.account, name: "token")).sealedValue
            _ = try await store.putSecret(accountId: Self.account, name: "copy", sealedValue: sealed, time: Date())
            let secrets = SecretService(store: store, masterKey: Self.masterKey)
            #expect(await Self.errorCode { _ = try await secrets.value(accountId: Self.account, name: "copy") } == .internalError)
            #expect(try await secrets.value(accountId: Self.account, name: "token") == "s3cr3t")
        }
    }

    @Test func namesAndValuesAreValidated() async throws {
        try await Self.withStore { store, _ in
            let secrets = SecretService(store: store, masterKey: Self.masterKey)
            for name in ["", "has space", "a:b", "ünï", String(repeating: "x", count: 129), "semi;colon"] {
                #expect(await Self.errorCode { try await secrets.put(accountId: Self.account, name: name, value: "v") } == .validation, "\(name)")
            }
            for name in ["A", "a_b.c-d/e", String(repeating: "x", count: 128)] {
                #expect(try await secrets.put(accountId: Self.account, name: name, value: "v"), "\(name)")
            }
            do {
                try await secrets.put(accountId: Self.account, name: "bad name", value: "v")
            } catch let error as OspreyError {
                #expect(error.message.contains("'bad name'") && error.message.contains("1 to 128"))
            }
            let largest = String(repeating: "a", count: SecretService.maxValueBytes)
            #expect(try await secrets.put(accountId: Self.account, name: "large", value: largest))
            for value in ["", largest + "b", "nul\u{0}inside"] {
                #expect(await Self.errorCode { try await secrets.put(accountId: Self.account, name: "v", value: value) } == .validation)
            }
            #expect(try await secrets.value(accountId: Self.account, name: "v") == nil)
        }
    }

    @Test func deleteRemovesAndThenIsNotFound() async throws {
        try await Self.withStore { store, _ in
            let secrets = SecretService(store: store, masterKey: Self.masterKey)
            try await secrets.put(accountId: Self.account, name: "gone", value: "v")
            try await secrets.delete(accountId: Self.account, name: "gone")
            #expect(try await secrets.value(accountId: Self.account, name: "gone") == nil)
            #expect(await Self.errorCode { try await secrets.delete(accountId: Self.account, name: "gone") } == .notFound)
            let types = try await store.events(after: 0, accountId: Self.account, limit: 10).map(\.event.type)
            #expect(types == ["osprey.secrets.SecretPut", "osprey.secrets.SecretDeleted"])
        }
    }
}
