import Foundation

/// A secret as listings show it: its name and times, never its value.
public struct SecretInfo: Sendable, Hashable {
    public var name: String
    public var createdAt: Date
    /// When the value was last replaced (`createdAt` until then).
    public var updatedAt: Date

    public init(name: String, createdAt: Date, updatedAt: Date) {
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A secret as the store keeps it: the value sealed with the server's master key.
public struct StoredSecret: Sendable, Hashable {
    public var info: SecretInfo
    /// The value, sealed (AES-GCM combined form). Only `SecretService` opens it.
    public var sealedValue: [UInt8]

    public init(info: SecretInfo, sealedValue: [UInt8]) {
        self.info = info
        self.sealedValue = sealedValue
    }
}

/// Named secrets of an account (what `osprey-secret:NAME` refers to), sealed at rest.
///
/// Each mutation writes an outbox event in its transaction: `osprey.secrets.SecretPut` or `osprey.secrets.SecretDeleted`,
/// resource the name, detail `{"name": …}`. Events never carry the value.
public protocol SecretStore: Sendable {
    /// Creates the secret, or replaces its value (keeping `createdAt`); `time` becomes `updatedAt` (and `createdAt` when new).
    /// Returns true when it was created, false when it replaced one.
    func putSecret(accountId: String, name: String, sealedValue: [UInt8], time: Date) async throws -> Bool
    /// The secret of this name in the account, nil when there is none.
    func secret(accountId: String, name: String) async throws -> StoredSecret?
    /// The account's secrets, by name in UTF-8 byte order.
    func secrets(accountId: String) async throws -> [SecretInfo]
    /// Removes the secret; `time` stamps its event. Returns false when there was none (and records no event).
    func deleteSecret(accountId: String, name: String, time: Date) async throws -> Bool
}

extension SecretStore {
    /// Removes the secret, its event stamped now. Returns false when there was none.
    public func deleteSecret(accountId: String, name: String) async throws -> Bool {
        try await deleteSecret(accountId: accountId, name: name, time: Date())
    }
}
