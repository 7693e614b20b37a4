import Foundation

/// Signs outgoing requests with AWS Signature Version 4 (Osprey's own S3 client and CLI).
///
/// Uses the same canonicalisation as `SigV4Verifier`. The signed `host` is `host` with the scheme's default port
/// (`:80` for http, `:443` for https) removed, which is the `Host` header HTTP clients send; send that header.
public struct SigV4Signer: Sendable {
    /// Headers never signed: they are changed by proxies or HTTP clients (botocore's list plus `authorization`).
    static let unsignedHeaders: Set<String> = [
        "authorization", "user-agent", "expect", "transfer-encoding", "x-amzn-trace-id", "connection",
    ]

    public let accessKeyId: String
    private let secretAccessKey: String
    public let region: String
    public let service: String
    /// A session token to send as `X-Amz-Security-Token`, if the credentials are temporary.
    public let sessionToken: String?
    public let uriMode: CanonicalURIMode
    private let keys: SigningKeyCache

    /// A signer for `service` in `region`; `uriMode` defaults to `.s3` for service `s3` and `.standard` otherwise.
    public init(
        accessKeyId: String, secretAccessKey: String, region: String, service: String, sessionToken: String? = nil,
        uriMode: CanonicalURIMode? = nil, keyCache: SigningKeyCache = .shared
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.region = region
        self.service = service
        self.sessionToken = sessionToken
        self.uriMode = uriMode ?? (service == "s3" ? .s3 : .standard)
        self.keys = keyCache
    }

    /// The headers to add to a request so it carries a valid `Authorization` header.
    ///
    /// `host` is `host[:port]`; `rawPath` and `rawQuery` are exactly what will be sent (already percent-encoded, e.g.
    /// with `URIEncoding.encode(key, keepSlash: true)`). Every header in `headers` is signed except hop-by-hop ones,
    /// so pass the headers you will send (not `Content-Length` if your HTTP client may change it). `payloadSHA256Hex`
    /// is the body's hex SHA-256 or `UNSIGNED-PAYLOAD`/a `STREAMING-…` constant. Returns `Authorization`,
    /// `X-Amz-Date`, `x-amz-content-sha256` and, with a session token, `X-Amz-Security-Token`.
    public func sign(
        method: String, scheme: String, host: String, rawPath: String, rawQuery: String?,
        headers: [(name: String, value: String)] = [], payloadSHA256Hex: String, date: Date
    ) -> [(name: String, value: String)] {
        let timestamp = AmzDate.timestamp(date)
        let scope = CredentialScope(date: String(timestamp.prefix(8)), region: region, service: service)
        var added: [(name: String, value: String)] = [("X-Amz-Date", timestamp), ("x-amz-content-sha256", payloadSHA256Hex)]
        if let sessionToken { added.append(("X-Amz-Security-Token", sessionToken)) }
        let replaced = Set(added.map { $0.name.lowercased() })
        let signed =
            signableHeaders(scheme: scheme, host: host, headers: headers.filter { !replaced.contains($0.name.lowercased()) })
            + added
        let signedNames = Self.signedNames(signed)
        let canonical = CanonicalRequest(
            method: method, rawPath: rawPath, rawQuery: rawQuery, uriMode: uriMode, headers: signed, signedHeaders: signedNames,
            payloadHash: payloadSHA256Hex)
        let key = keys.key(secret: secretAccessKey, scope: scope)
        let signature = key.signature(for: StringToSign.request(timestamp: timestamp, scope: scope, canonicalRequestHash: canonical.hash))
        let authorization =
            "\(StringToSign.algorithm) Credential=\(accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedNames.joined(separator: ";")), Signature=\(signature)"
        return [("Authorization", authorization)] + added
    }

    /// A presigned URL, `scheme://host/rawPath?rawQuery&X-Amz-…&X-Amz-Signature=…`, valid for `expires` seconds.
    ///
    /// The payload is `UNSIGNED-PAYLOAD`. `headers` are signed too and must then be sent with the URL. `expires` must be
    /// 1...604800 (AWS's limit; the verifier refuses more).
    public func presign(
        method: String, scheme: String, host: String, rawPath: String, rawQuery: String?,
        headers: [(name: String, value: String)] = [], expires: Int, date: Date
    ) -> String {
        let timestamp = AmzDate.timestamp(date)
        let scope = CredentialScope(date: String(timestamp.prefix(8)), region: region, service: service)
        let signed = signableHeaders(scheme: scheme, host: host, headers: headers)
        let signedNames = Self.signedNames(signed)
        var parameters = [
            ("X-Amz-Algorithm", StringToSign.algorithm),
            ("X-Amz-Credential", "\(accessKeyId)/\(scope)"),
            ("X-Amz-Date", timestamp),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", signedNames.joined(separator: ";")),
        ]
        if let sessionToken { parameters.append(("X-Amz-Security-Token", sessionToken)) }
        let authQuery = parameters.map { URIEncoding.encode($0.0) + "=" + URIEncoding.encode($0.1) }.joined(separator: "&")
        let query = (rawQuery?.isEmpty ?? true) ? authQuery : rawQuery! + "&" + authQuery
        let canonical = CanonicalRequest(
            method: method, rawPath: rawPath, rawQuery: query, uriMode: uriMode, headers: signed, signedHeaders: signedNames,
            payloadHash: "UNSIGNED-PAYLOAD")
        let key = keys.key(secret: secretAccessKey, scope: scope)
        let signature = key.signature(for: StringToSign.request(timestamp: timestamp, scope: scope, canonicalRequestHash: canonical.hash))
        let path = rawPath.isEmpty ? "/" : rawPath
        return "\(scheme)://\(host)\(path)?\(query)&X-Amz-Signature=\(signature)"
    }

    /// The `host` header (unless given) followed by the caller's signable headers.
    private func signableHeaders(scheme: String, host: String, headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var result = headers.filter { !Self.unsignedHeaders.contains($0.name.lowercased()) }
        if !result.contains(where: { $0.name.lowercased() == "host" }) {
            result.insert(("host", Self.hostHeader(scheme: scheme, host: host)), at: 0)
        }
        return result
    }

    /// Lowercase, sorted, de-duplicated header names.
    private static func signedNames(_ headers: [(name: String, value: String)]) -> [String] {
        Array(Set(headers.map { $0.name.lowercased() })).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// `host` without the scheme's default port.
    static func hostHeader(scheme: String, host: String) -> String {
        let defaultPort = scheme.lowercased() == "https" ? ":443" : scheme.lowercased() == "http" ? ":80" : nil
        if let defaultPort, host.hasSuffix(defaultPort) { return String(host.dropLast(defaultPort.count)) }
        return host
    }
}
