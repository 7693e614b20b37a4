import Crypto
import Synchronization

/// A thread-safe cache of derived signing keys keyed by (SHA-256 of the secret, date, region, service).
///
/// The secret itself is never stored. The cache is bounded: when it grows past `limit` entries it is emptied.
public final class SigningKeyCache: Sendable {
    private struct Key: Hashable {
        var secretHash: [UInt8]
        var scope: CredentialScope
    }

    /// A cache shared by signers that have no cache of their own.
    public static let shared = SigningKeyCache()

    private let entries = Mutex<[Key: SigningKey]>([:])
    private let limit: Int

    /// A cache emptied whenever it holds more than `limit` keys.
    public init(limit: Int = 1000) {
        self.limit = limit
    }

    /// The signing key for `secret` and `scope`, derived once and then served from the cache.
    public func key(secret: String, scope: CredentialScope) -> SigningKey {
        let cacheKey = Key(secretHash: Array(SHA256.hash(data: Array(secret.utf8))), scope: scope)
        if let cached = entries.withLock({ $0[cacheKey] }) {
            return cached
        }
        let derived = SigningKey(secret: secret, scope: scope)
        entries.withLock { entries in
            if entries.count >= limit { entries.removeAll() }
            entries[cacheKey] = derived
        }
        return derived
    }

    /// How many keys the cache holds now.
    public var count: Int { entries.withLock { $0.count } }
}
