import OspreyCore
import Testing

@testable import OspreyStore

@Suite("Store URLs and key ranges")
struct StoreURLTests {
    @Test func sqliteForms() throws {
        #expect(try StoreURL.parse("sqlite:/var/lib/osprey/meta.db") == .sqlite(.file(path: "/var/lib/osprey/meta.db")))
        #expect(try StoreURL.parse("sqlite:///var/lib/osprey/meta.db") == .sqlite(.file(path: "/var/lib/osprey/meta.db")))
        #expect(try StoreURL.parse("sqlite:data/meta.db", currentDirectory: "/srv") == .sqlite(.file(path: "/srv/data/meta.db")))
        #expect(try StoreURL.parse("sqlite::memory:") == .sqlite(.memory))
        #expect(throws: OspreyError.self) { try StoreURL.parse("sqlite:") }
    }

    @Test func postgresForms() throws {
        let parsed = try StoreURL.parse("postgres://osprey:p%40ss:w@db.example:6543/meta?sslmode=require&connect_timeout=3")
        let expected = PostgresLocation(
            host: "db.example", port: 6543, username: "osprey", password: "p@ss:w", database: "meta", tls: .require,
            connectTimeout: .seconds(3)
        )
        #expect(parsed == .postgres(expected))
        #expect(parsed.redacted == "postgres://osprey@db.example:6543/meta")

        guard case .postgres(let defaults) = try StoreURL.parse("postgresql://me@localhost") else {
            Issue.record("not postgres")
            return
        }
        #expect(defaults.port == 5432)
        #expect(defaults.database == "me")
        #expect(defaults.password == nil)
        #expect(defaults.tls == .prefer)
    }

    @Test(arguments: [
        "mysql://u:hunter2@h/db", "postgres://:hunter2@h/db", "postgres://u:hunter2@/db", "postgres://u:hunter2@h/db?sslmode=bogus",
        "postgres://u:hunter2@h/db?password=x", "postgres://u:hunter2@h/db?connect_timeout=0", "", "hunter2",
    ])
    func invalidURLsNeverShowThePassword(_ url: String) {
        do {
            _ = try StoreURL.parse(url)
            Issue.record("\(url) parsed")
        } catch let error as OspreyError {
            #expect(error.code == .validation)
            #expect(url == "hunter2" || !error.message.contains("hunter2"), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func upperBounds() {
        #expect(KeyRange.upperBound(ofPrefix: "") == nil)
        #expect(KeyRange.upperBound(ofPrefix: "abc") == "abd")
        #expect(KeyRange.upperBound(ofPrefix: "a%") == "a&")
        #expect(KeyRange.upperBound(ofPrefix: "a\u{7F}") == "a\u{80}")
        #expect(KeyRange.upperBound(ofPrefix: "x\u{D7FF}") == "x\u{E000}")
        #expect(KeyRange.upperBound(ofPrefix: "é") == "ê")
        #expect(KeyRange.upperBound(ofPrefix: "a\u{10FFFF}") == "b")
        #expect(KeyRange.upperBound(ofPrefix: "\u{10FFFF}\u{10FFFF}") == nil)
    }
}
