import Crypto

/// A derived SigV4 signing key: HMAC chain of `AWS4{secret}` over date, region, service and `aws4_request`.
///
/// It signs only within its scope (one day, region and service), so it is what the chunk decoder holds, never the secret.
public struct SigningKey: Sendable {
    let key: SymmetricKey
    /// An HMAC already keyed with `key`: each signature starts from a copy instead of keying a new one.
    private let keyed: HMAC<SHA256>

    /// Derives the key for `scope` from `secret` (four HMAC-SHA256 operations; use `SigningKeyCache` on hot paths).
    public init(secret: String, scope: CredentialScope) {
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [scope.date, scope.region, scope.service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        self.key = key
        self.keyed = HMAC<SHA256>(key: key)
    }

    /// The raw key bytes (for tests and interoperability; treat as a secret).
    public var bytes: [UInt8] { key.withUnsafeBytes { Array($0) } }

    /// The lowercase hex HMAC-SHA256 of `stringToSign`: a SigV4 signature.
    public func signature(for stringToSign: String) -> String {
        var mac = keyed
        mac.update(data: Array(stringToSign.utf8))
        return Hex.encode(mac.finalize())
    }
}
