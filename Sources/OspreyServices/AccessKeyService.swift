public import Crypto
import Foundation
public import OspreyCore

/// A usable access key: who it is and its secret in the clear. Lives only in memory.
public struct AccessKey: Sendable, Hashable {
    public var id: String
    public var secret: String
    public var accountId: String
    public var isAdmin: Bool
    public var description: String
    public var createdAt: Date
}

/// Issues, finds and revokes access keys. Secrets are sealed at rest with the master key and cached in memory once opened.
public actor AccessKeyService {
    private let store: any AccessKeyStore
    private let masterKey: SymmetricKey
    private let clock: any WallClock
    private var cache: [String: AccessKey] = [:]

    public init(store: any AccessKeyStore, masterKey: SymmetricKey, clock: any WallClock = SystemClock()) {
        self.store = store
        self.masterKey = masterKey
        self.clock = clock
    }

    /// The key with this id, nil when there is none.
    public func key(id: String) async throws -> AccessKey? {
        if let cached = cache[id] { return cached }
        guard let stored = try await store.accessKey(id: id) else { return nil }
        return try remember(stored)
    }

    /// The key whose secret is `secret` (bearer tokens), nil when there is none.
    public func key(secret: String) async throws -> AccessKey? {
        if let cached = cache.values.first(where: { $0.secret == secret }) { return cached }
        guard let stored = try await store.accessKey(secretDigest: digest(secret)) else { return nil }
        let key = try remember(stored)
        return key.secret == secret ? key : nil
    }

    /// Creates a key. Without `id`/`secret` a random AWS-shaped pair is made.
    public func create(accountId: String, isAdmin: Bool, description: String, id: String? = nil, secret: String? = nil) async throws
        -> AccessKey
    {
        let id = id ?? Self.randomKeyId()
        let secret = secret ?? Self.randomSecret()
        try Self.validate(id: id, secret: secret)
        let sealed = try AES.GCM.seal(Data(secret.utf8), using: masterKey).combined!
        let stored = StoredAccessKey(
            id: id, accountId: accountId, sealedSecret: Array(sealed), secretDigest: digest(secret), isAdmin: isAdmin,
            description: description, createdAt: clock.now()
        )
        try await store.insertAccessKey(stored)
        return try remember(stored)
    }

    public func list(accountId: String) async throws -> [AccessKey] {
        try await store.accessKeys(accountId: accountId).map { try remember($0) }
    }

    /// Revokes a key of the account. Throws `.notFound` when there is none.
    public func delete(id: String, accountId: String) async throws {
        guard try await store.deleteAccessKey(id: id, accountId: accountId) else {
            throw OspreyError(.notFound, "Access key \(id) does not exist.")
        }
        cache[id] = nil
    }

    private func remember(_ stored: StoredAccessKey) throws -> AccessKey {
        let secret: String
        do {
            let box = try AES.GCM.SealedBox(combined: Data(stored.sealedSecret))
            secret = String(decoding: try AES.GCM.open(box, using: masterKey), as: UTF8.self)
        } catch {
            throw OspreyError(.internalError, "Access key \(stored.id) cannot be opened with this server's master key.", cause: error)
        }
        let key = AccessKey(
            id: stored.id, secret: secret, accountId: stored.accountId, isAdmin: stored.isAdmin, description: stored.description,
            createdAt: stored.createdAt
        )
        cache[stored.id] = key
        return key
    }

    private func digest(_ secret: String) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: Data(secret.utf8), using: masterKey))
    }

    static func validate(id: String, secret: String) throws {
        let idOK = (16...128).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        guard idOK else { throw OspreyError(.validation, "An access key id is 16 to 128 ASCII letters and digits.") }
        let secretOK = (16...128).contains(secret.count) && secret.allSatisfy { $0.isASCII && !$0.isWhitespace }
        guard secretOK else { throw OspreyError(.validation, "A secret access key is 16 to 128 printable ASCII characters.") }
    }

    static func randomKeyId() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return "OSPK" + String((0..<16).map { _ in alphabet.randomElement()! })
    }

    static func randomSecret() -> String {
        var bytes = [UInt8](repeating: 0, count: 30)
        for index in bytes.indices { bytes[index] = .random(in: 0...255) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "A").replacingOccurrences(of: "/", with: "B")
    }
}
