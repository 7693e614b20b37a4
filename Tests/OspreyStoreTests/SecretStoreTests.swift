import Foundation
import OspreyCore
import Testing

@testable import OspreyStore

@Suite("Secret store")
struct SecretStoreTests {
    @Test(arguments: Backend.all)
    func putReplaceListAndDelete(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let sealed: [UInt8] = [0, 1, 2, 255, 254]
            #expect(try await store.putSecret(accountId: account, name: "team/db.password", sealedValue: sealed, time: time(10)))
            #expect(try await store.putSecret(accountId: account, name: "API_TOKEN", sealedValue: [9], time: time(20)))
            #expect(try await store.putSecret(accountId: otherAccount, name: "team/db.password", sealedValue: [7], time: time(30)))

            let first = try #require(try await store.secret(accountId: account, name: "team/db.password"))
            #expect(first == StoredSecret(info: SecretInfo(name: "team/db.password", createdAt: time(10), updatedAt: time(10)), sealedValue: sealed))
            #expect(try await store.secret(accountId: account, name: "missing") == nil)
            #expect(try await store.secret(accountId: otherAccount, name: "API_TOKEN") == nil)

            // Replacing keeps the creation time.
            #expect(try await store.putSecret(accountId: account, name: "team/db.password", sealedValue: [42], time: time(40)) == false)
            let replaced = try #require(try await store.secret(accountId: account, name: "team/db.password"))
            #expect(replaced.sealedValue == [42])
            #expect(replaced.info == SecretInfo(name: "team/db.password", createdAt: time(10), updatedAt: time(40)))
            #expect(try await store.secret(accountId: otherAccount, name: "team/db.password")?.sealedValue == [7])

            // Listed by name in byte order ("A" < "t"), one account only.
            #expect(try await store.secrets(accountId: account).map(\.name) == ["API_TOKEN", "team/db.password"])
            #expect(try await store.secrets(accountId: otherAccount).map(\.name) == ["team/db.password"])

            #expect(try await store.deleteSecret(accountId: account, name: "API_TOKEN", time: time(50)))
            #expect(try await store.deleteSecret(accountId: account, name: "API_TOKEN", time: time(60)) == false)
            #expect(try await store.secrets(accountId: account).map(\.name) == ["team/db.password"])
        }
    }

    @Test(arguments: Backend.all)
    func eachChangeWritesAnEventWithTheNameOnly(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let sealed = Array("sealed-bytes".utf8)
            _ = try await store.putSecret(accountId: account, name: "a/b", sealedValue: sealed, time: time(1))
            _ = try await store.putSecret(accountId: account, name: "a/b", sealedValue: sealed, time: time(2))
            _ = try await store.deleteSecret(accountId: account, name: "a/b", time: time(3))
            _ = try await store.deleteSecret(accountId: account, name: "a/b", time: time(4))
            let events = try await store.events(after: 0, accountId: account, limit: 10).map(\.event)
            #expect(events.map(\.type) == ["osprey.secrets.SecretPut", "osprey.secrets.SecretPut", "osprey.secrets.SecretDeleted"])
            #expect(events.map(\.time) == [time(1), time(2), time(3)])
            #expect(events.allSatisfy { $0.resource == "a/b" && $0.detail == #"{"name":"a/b"}"# })
        }
    }

    @Test(arguments: Backend.all)
    func concurrentPutsOfANewNameCreateItOnce(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await store.putSecret(accountId: account, name: "raced", sealedValue: [UInt8(index)], time: time(Int64(index)))
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await store.secrets(accountId: account).map(\.name) == ["raced"])
            #expect(try await store.events(after: 0, accountId: account, limit: 20).count == 8)
        }
    }
}
