/// What signs and verifies the chunks of an aws-chunked body: the request's signing key, timestamp, scope and
/// seed signature (the request signature, which the first chunk's signature chains from).
public struct ChunkSigningContext: Sendable {
    public var signingKey: SigningKey
    /// The request timestamp, `yyyyMMdd'T'HHmmss'Z'`.
    public var timestamp: String
    public var scope: CredentialScope
    /// The signature of the request headers, lowercase hex.
    public var seedSignature: String

    public init(signingKey: SigningKey, timestamp: String, scope: CredentialScope, seedSignature: String) {
        self.signingKey = signingKey
        self.timestamp = timestamp
        self.scope = scope
        self.seedSignature = seedSignature
    }

    /// The signature of a chunk whose data hashes to `chunkHash` (hex), chained from `previousSignature`.
    public func chunkSignature(previousSignature: String, chunkHash: String) -> String {
        signingKey.signature(
            for: StringToSign.chunk(timestamp: timestamp, scope: scope, previousSignature: previousSignature, chunkHash: chunkHash))
    }

    /// The signature of trailing headers whose canonical form (`name:value\n` each) is `canonicalTrailers`.
    public func trailerSignature(previousSignature: String, canonicalTrailers: String) -> String {
        signingKey.signature(
            for: StringToSign.trailer(
                timestamp: timestamp, scope: scope, previousSignature: previousSignature,
                trailersHash: SHA256Hex.of(canonicalTrailers)))
    }
}
