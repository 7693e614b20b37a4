import Foundation
import HTTPTypes
import Hummingbird
import OspreyCore
import OspreyServices
import OspreySigV4

/// Who made a request.
struct Principal: Sendable {
    var accessKeyId: String
    var accountId: String
    var isAdmin: Bool
}

/// A request whose credentials were checked, with its body wrapped so that reading it verifies what the signature promised.
struct AuthenticatedRequest: Sendable {
    var principal: Principal
    /// The decoded body (aws-chunked framing removed). It throws at its end if a hash, chunk signature or checksum is wrong,
    /// so a consumer that commits only after reading it all never commits bad data.
    var body: CheckedBody<RequestBody>
    /// The payload length the client declared (`x-amz-decoded-content-length`, else `Content-Length`).
    var decodedContentLength: Int64?
    /// Checksum headers (`x-amz-checksum-*`) to echo in the answer.
    var checksumHeaders: [(HTTPField.Name, String)]

    /// Reads the whole (verified) body; throws `.entityTooLarge` past `limit` bytes.
    func collectBody(limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.readableBytes <= limit else {
                throw OspreyError(.entityTooLarge, "The request body is larger than \(limit) bytes.")
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    func echoChecksums(into headers: inout HTTPFields) {
        for (name, value) in checksumHeaders { headers[name] = value }
    }
}

/// Checks credentials on every protocol: SigV4 (header or presigned query), `Authorization: Bearer <secret>`,
/// or HTTP Basic with the key id and secret.
struct Authenticator: Sendable {
    let keys: AccessKeyService
    let verifier: SigV4Verifier
    let clock: any WallClock

    init(keys: AccessKeyService, clock: any WallClock) {
        self.keys = keys
        self.clock = clock
        self.verifier = SigV4Verifier(maxSkew: 15 * 60) { id in try await keys.key(id: id)?.secret }
    }

    /// Authenticates a request for `service` (the SigV4 service name its protocol signs with).
    func authenticate(_ request: Request, service: String, uriMode: CanonicalURIMode) async throws -> AuthenticatedRequest {
        let authorization = request.headers[.authorization] ?? ""
        if authorization.hasPrefix("Bearer ") || authorization.hasPrefix("Basic ") {
            let principal = try await tokenPrincipal(authorization)
            return AuthenticatedRequest(
                principal: principal, body: CheckedBody(base: request.body, checks: BodyChecks(request: request, signature: nil)),
                decodedContentLength: Self.declaredLength(request), checksumHeaders: Self.checksumHeaders(request)
            )
        }
        let query = S3Request.parseQuery(request.uri.query)
        if service == "s3", let keyId = SigV2Presigned.accessKeyId(inQuery: query) {
            guard let key = try await keys.key(id: keyId) else {
                throw OspreyError(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
            }
            try SigV2Presigned.verify(
                method: request.method.rawValue, rawPath: request.uri.path, query: query, contentMD5: request.headers[.contentMD5],
                contentType: request.headers[.contentType], secret: key.secret, now: clock.now()
            )
            return AuthenticatedRequest(
                principal: Principal(accessKeyId: key.id, accountId: key.accountId, isAdmin: key.isAdmin),
                body: CheckedBody(base: request.body, checks: BodyChecks(request: request, signature: nil)),
                decodedContentLength: Self.declaredLength(request), checksumHeaders: Self.checksumHeaders(request)
            )
        }
        // HTTP/1's Host header arrives as the :authority pseudo-header.
        var headers = request.headers.map { (name: $0.name.rawName, value: $0.value) }
        if let authority = request.head.authority { headers.append((name: "host", value: authority)) }
        let signed = SigV4Request(method: request.method.rawValue, rawPath: request.uri.path, rawQuery: request.uri.query, headers: headers)
        guard signed.hasCredentials else {
            throw OspreyError(.unauthenticated, "Access Denied: the request carries no credentials (sign it with SigV4, or send a bearer token).")
        }
        // The key the verifier looked up is the one that signed: keep it rather than asking the key service again.
        var signer: AccessKey?
        let signature = try await verifier.verify(signed, service: service, uriMode: uriMode, now: clock.now()) { id in
            signer = try await keys.key(id: id)
            return signer?.secret
        }
        guard let key = signer, key.id == signature.accessKeyId else {
            throw OspreyError(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
        }
        var body = request.body
        var pending: VerifiedSignature? = signature
        if signature.payload == .bodyHashRequired {
            // The signature covers a body hash no header states (botocore omits x-amz-content-sha256 outside S3): only small
            // API bodies arrive this way. A `.sha256` payload is hashed as it streams, by `CheckedBody`.
            var collected: ByteBuffer
            do {
                collected = try await request.body.collect(upTo: 16 << 20)
            } catch {
                throw OspreyError(.entityTooLarge, "A request whose signature covers an unstated body hash may carry at most 16 MiB.")
            }
            let bytes = collected.readBytes(length: collected.readableBytes) ?? []
            try signature.checkBody(sha256Hex: SHA256Hex.of(bytes))
            body = RequestBody(buffer: ByteBuffer(bytes: bytes))
            pending = nil
        }
        return AuthenticatedRequest(
            principal: Principal(accessKeyId: key.id, accountId: key.accountId, isAdmin: key.isAdmin),
            body: CheckedBody(base: body, checks: BodyChecks(request: request, signature: pending)),
            decodedContentLength: Self.declaredLength(request), checksumHeaders: Self.checksumHeaders(request)
        )
    }

    private func tokenPrincipal(_ authorization: String) async throws -> Principal {
        let denied = OspreyError(.unrecognizedClient, "The security token included in the request is invalid.")
        let key: AccessKey?
        if authorization.hasPrefix("Bearer ") {
            key = try await keys.key(secret: String(authorization.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
        } else {
            guard let data = Data(base64Encoded: String(authorization.dropFirst("Basic ".count)).trimmingCharacters(in: .whitespaces)),
                let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { throw denied }
            let found = try await keys.key(id: String(text[..<colon]))
            key = found.flatMap { ConstantTime.equals(Array($0.secret.utf8), Array(text[text.index(after: colon)...].utf8)) ? $0 : nil }
        }
        guard let key else { throw denied }
        return Principal(accessKeyId: key.id, accountId: key.accountId, isAdmin: key.isAdmin)
    }

    static func declaredLength(_ request: Request) -> Int64? {
        if let decoded = request.headers[.xAmzDecodedContentLength] { return Int64(decoded) }
        if request.headers[.contentEncoding]?.contains("aws-chunked") == true { return nil }
        return request.headers[.contentLength].flatMap { Int64($0) }
    }

    static func checksumHeaders(_ request: Request) -> [(HTTPField.Name, String)] {
        request.headers.compactMap { field in
            let name = field.name.canonicalName
            return name.hasPrefix("x-amz-checksum-") && name != "x-amz-checksum-mode" ? (field.name, field.value) : nil
        }
    }
}
