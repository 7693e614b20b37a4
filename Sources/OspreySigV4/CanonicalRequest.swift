/// A SigV4 canonical request, built by one implementation for both signing and verification.
public struct CanonicalRequest: Sendable {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// The canonical URI line.
    public var uri: String
    /// The canonical query string line.
    public var query: String
    /// The canonical headers block: one `name:value\n` line per signed header.
    public var headers: String
    /// The signed headers, lowercase, in signing order (joined with `;` in the text).
    public var signedHeaders: [String]
    /// The payload hash line: hex SHA-256, `UNSIGNED-PAYLOAD` or a `STREAMING-…` constant.
    public var payloadHash: String

    public init(method: String, uri: String, query: String, headers: String, signedHeaders: [String], payloadHash: String) {
        self.method = method
        self.uri = uri
        self.query = query
        self.headers = headers
        self.signedHeaders = signedHeaders
        self.payloadHash = payloadHash
    }

    /// Canonicalises a request as received or about to be sent.
    ///
    /// `rawPath` and `rawQuery` are as on the wire; `signedHeaders` must be lowercase; `excludingQueryParameter`
    /// names the parameter a presigned URL carries its signature in.
    public init(
        method: String, rawPath: String, rawQuery: String?, uriMode: CanonicalURIMode,
        headers: [(name: String, value: String)], signedHeaders: [String], payloadHash: String,
        excludingQueryParameter: String? = nil
    ) {
        self.init(
            method: method,
            uri: CanonicalURI.make(rawPath: rawPath, mode: uriMode),
            query: CanonicalQuery.make(rawQuery: rawQuery, excluding: excludingQueryParameter),
            headers: CanonicalHeaders.block(headers: headers, signedHeaders: signedHeaders),
            signedHeaders: signedHeaders,
            payloadHash: payloadHash)
    }

    /// The canonical request text that is hashed into the string to sign.
    public var text: String {
        method + "\n" + uri + "\n" + query + "\n" + headers + "\n" + signedHeaders.joined(separator: ";") + "\n" + payloadHash
    }

    /// The hex SHA-256 of `text`.
    public var hash: String { SHA256Hex.of(text) }
}
