public import Crypto
import Foundation
public import OspreyCore

/// Stores, opens, lists and deletes an account's named secrets, sealed at rest with the master key (AES-GCM).
///
/// Each sealed value is bound to its account and name (they are the seal's authenticated data), so bytes copied to another
/// row do not open. Only `value(accountId:name:)` ever returns a value; errors and events never contain one.
public actor SecretService {
    /// The largest value, in UTF-8 bytes (64 KiB).
    public static let maxValueBytes = 64 << 10
    /// The longest name, in characters.
    public static let maxNameLength = 128

    private let store: any SecretStore
    private let masterKey: SymmetricKey
    private let clock: any WallClock

    public init(store: any SecretStore, masterKey: SymmetricKey, clock: any WallClock = SystemClock()) {
        self.store = store
        self.masterKey = masterKey
        self.clock = clock
    }

    /// Creates the secret or replaces its value; returns true when it was created, false when it replaced one.
    ///
    /// Throws `.validation` for a bad name (see `validate(name:)`) or a value that is empty, longer than 64 KiB or holds a
    /// NUL character (it could not reach a process's environment).
    @discardableResult
    public func put(accountId: String, name: String, value: String) async throws -> Bool {
        try Self.validate(name: name)
        try Self.validate(value: value, name: name)
        let sealed = try AES.GCM.seal(Data(value.utf8), using: masterKey, authenticating: Self.binding(accountId, name)).combined!
        return try await store.putSecret(accountId: accountId, name: name, sealedValue: Array(sealed), time: clock.now())
    }

    /// The secret's value in the clear, nil when the account has no secret of that name.
    ///
    /// Throws `.validation` for a malformed name and `.internalError` when the stored value does not open with this server's
    /// master key (or was moved from another account or name).
    public func value(accountId: String, name: String) async throws -> String? {
        try Self.validate(name: name)
        guard let stored = try await store.secret(accountId: accountId, name: name) else { return nil }
        do {
            let box = try AES.GCM.SealedBox(combined: Data(stored.sealedValue))
            return String(decoding: try AES.GCM.open(box, using: masterKey, authenticating: Self.binding(accountId, name)), as: UTF8.self)
        } catch {
            throw OspreyError(.internalError, "Secret \(name) cannot be opened with this server's master key.", cause: error)
        }
    }

    /// The account's secrets by name (UTF-8 byte order), without their values.
    public func list(accountId: String) async throws -> [SecretInfo] {
        try await store.secrets(accountId: accountId)
    }

    /// Deletes the secret. Throws `.notFound` when the account has none of that name.
    public func delete(accountId: String, name: String) async throws {
        try Self.validate(name: name)
        guard try await store.deleteSecret(accountId: accountId, name: name, time: clock.now()) else {
            throw OspreyError(.notFound, "Secret \(name) does not exist.")
        }
    }

    /// Throws `.validation` unless `name` is 1 to 128 ASCII letters, digits, `_`, `.`, `-` and `/`.
    public static func validate(name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "/"):
                true
            default: false
            }
        }
        guard allowed, (1...maxNameLength).contains(name.utf8.count) else {
            let shown = name.count > maxNameLength ? name.prefix(maxNameLength) + "…" : name
            throw OspreyError(
                .validation, "Invalid secret name '\(shown)': use 1 to \(maxNameLength) ASCII letters, digits, '_', '.', '-' and '/'."
            )
        }
    }

    static func validate(value: String, name: String) throws {
        let size = value.utf8.count
        guard size > 0 else { throw OspreyError(.validation, "The value of secret \(name) is empty.") }
        guard size <= maxValueBytes else {
            throw OspreyError(.validation, "The value of secret \(name) is \(size) bytes; the limit is \(maxValueBytes) bytes (64 KiB).")
        }
        guard !value.utf8.contains(0) else {
            throw OspreyError(.validation, "The value of secret \(name) contains a NUL character, which no environment variable can hold.")
        }
    }

    /// The seal's authenticated data: ties a sealed value to its account and name.
    private static func binding(_ accountId: String, _ name: String) -> Data {
        Data("osprey-secret\u{0}\(accountId)\u{0}\(name)".utf8)
    }
}
