import Foundation
import OspreyCore

/// Verifies AWS Signature Version 4 on incoming requests: `Authorization` header or presigned URL.
///
/// Any region is accepted; the scope's service must be the one the caller names. Replays within the clock-skew
/// window are accepted (no nonce tracking), as AWS does.
public struct SigV4Verifier: Sendable {
    /// The largest accepted difference between the request time and `now`, in seconds.
    public let maxSkew: TimeInterval
    private let lookupSecret: @Sendable (String) async throws -> String?
    private let keys: SigningKeyCache

    /// A verifier that finds secrets with `lookupSecret` (nil for an unknown access key id).
    ///
    /// Derived signing keys are cached in `keyCache` (by a hash of the secret, never the secret itself).
    public init(
        maxSkew: TimeInterval = 900, keyCache: SigningKeyCache = SigningKeyCache(),
        lookupSecret: @escaping @Sendable (String) async throws -> String?
    ) {
        self.maxSkew = maxSkew
        self.lookupSecret = lookupSecret
        self.keys = keyCache
    }

    /// Verifies `request` as a request to `service`, at time `now`.
    ///
    /// Throws `OspreyError` with AWS's codes: `MissingAuthenticationToken` (no credentials at all),
    /// `IncompleteSignature`/`InvalidArgument` (malformed), `InvalidAccessKeyId`, `SignatureDoesNotMatch`,
    /// `RequestTimeTooSkewed`, `AccessDenied` (expired presigned URL, unsigned `x-amz-*` header, no usable date).
    /// The result tells what remains to check about the body; see `VerifiedSignature`.
    public func verify(_ request: SigV4Request, service: String, uriMode: CanonicalURIMode, now: Date) async throws -> VerifiedSignature {
        try await verify(request, service: service, uriMode: uriMode, now: now, lookupSecret: lookupSecret)
    }

    /// `verify(_:service:uriMode:now:)`, finding the secret with `lookupSecret` instead of the verifier's own lookup
    /// (so a caller can keep what its lookup found).
    public func verify(
        _ request: SigV4Request, service: String, uriMode: CanonicalURIMode, now: Date,
        lookupSecret: (String) async throws -> String?
    ) async throws -> VerifiedSignature {
        let authorizations = request.values(of: "authorization")
        let parameters = CanonicalQuery.parse(request.rawQuery)
        let presigned = parameters.contains { $0.name == Array("X-Amz-Algorithm".utf8) }
        if authorizations.count > 1 {
            throw SigV4Errors.invalidArgument("Only one Authorization header is allowed.")
        }
        if presigned && !authorizations.isEmpty {
            throw SigV4Errors.invalidArgument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified")
        }
        if let authorization = authorizations.first {
            return try await verifyHeader(authorization, request, service: service, uriMode: uriMode, now: now, lookupSecret: lookupSecret)
        }
        if presigned {
            return try await verifyPresigned(parameters, request, service: service, uriMode: uriMode, now: now, lookupSecret: lookupSecret)
        }
        throw OspreyError(.unauthenticated, "Request is missing Authentication Token")
    }

    private func verifyHeader(
        _ authorization: String, _ request: SigV4Request, service: String, uriMode: CanonicalURIMode, now: Date,
        lookupSecret: (String) async throws -> String?
    ) async throws -> VerifiedSignature {
        let claim = try SignatureClaim.parseAuthorization(authorization)
        let (date, timestamp) = try requestTime(request)
        try checkScope(claim.scope, timestamp: timestamp, service: service)
        guard abs(now.timeIntervalSince(date)) <= maxSkew else { throw SigV4Errors.tooSkewed() }
        try checkSignedHeaders(claim.signedHeaders, request)

        let payloadHeader = request.values(of: "x-amz-content-sha256").first?.trimmingASCIIWhitespace()
        let payload: SigV4Payload
        if let payloadHeader {
            guard let parsed = SigV4Payload(headerValue: payloadHeader) else {
                throw SigV4Errors.invalidArgument(
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                        + "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value.")
            }
            payload = parsed
        } else {
            payload = .bodyHashRequired
        }

        let key = try await signingKey(claim, lookupSecret: lookupSecret)
        let canonical = CanonicalRequest(
            method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery, uriMode: uriMode,
            headers: request.headers, signedHeaders: claim.signedHeaders, payloadHash: payloadHeader ?? "")
        let verified = VerifiedSignature(
            accessKeyId: claim.accessKeyId, scope: claim.scope, payload: payload, isPresigned: false, date: date,
            timestamp: timestamp, signature: claim.signature.lowercased(), signingKey: key,
            pendingRequest: payloadHeader == nil ? canonical : nil)
        if payloadHeader != nil {
            try checkSignature(claim.signature, canonical, key: key, timestamp: timestamp, scope: claim.scope)
        }
        return verified
    }

    private func verifyPresigned(
        _ parameters: [QueryParameter], _ request: SigV4Request, service: String, uriMode: CanonicalURIMode, now: Date,
        lookupSecret: (String) async throws -> String?
    ) async throws -> VerifiedSignature {
        let query = try PresignedQuery.parse(parameters)
        guard let date = AmzDate.parseTimestamp(query.timestamp) else {
            throw SigV4Errors.invalidArgument(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", got \"\(query.timestamp)\".")
        }
        let claim = query.claim
        try checkScope(claim.scope, timestamp: query.timestamp, service: service)
        guard now.timeIntervalSince(date) <= TimeInterval(query.expires) else { throw SigV4Errors.expired() }
        guard date.timeIntervalSince(now) <= maxSkew else { throw SigV4Errors.tooSkewed() }
        try checkSignedHeaders(claim.signedHeaders, request)

        let key = try await signingKey(claim, lookupSecret: lookupSecret)
        let canonical = CanonicalRequest(
            method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery, uriMode: uriMode,
            headers: request.headers, signedHeaders: claim.signedHeaders, payloadHash: "UNSIGNED-PAYLOAD",
            excludingQueryParameter: "X-Amz-Signature")
        try checkSignature(claim.signature, canonical, key: key, timestamp: query.timestamp, scope: claim.scope)
        return VerifiedSignature(
            accessKeyId: claim.accessKeyId, scope: claim.scope, payload: .unsignedPayload, isPresigned: true, date: date,
            timestamp: query.timestamp, signature: claim.signature.lowercased(), signingKey: key, pendingRequest: nil)
    }

    /// The request time from `X-Amz-Date`, else from an RFC 1123 `Date` header, with its ISO 8601 basic form.
    private func requestTime(_ request: SigV4Request) throws -> (Date, String) {
        if let amzDate = request.values(of: "x-amz-date").first?.trimmingASCIIWhitespace() {
            if let date = AmzDate.parseTimestamp(amzDate) { return (date, amzDate) }
        } else if let httpDate = request.values(of: "date").first, let date = AmzDate.parseRFC1123(httpDate) {
            return (date, AmzDate.timestamp(date))
        }
        throw OspreyError(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
    }

    private func checkScope(_ scope: CredentialScope, timestamp: String, service: String) throws {
        let day = String(timestamp.prefix(8))
        guard scope.date == day else {
            throw OspreyError(
                .signatureDoesNotMatch,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(scope.date)' != '\(day)', from '\(timestamp)'.")
        }
        guard scope.service == service else {
            throw OspreyError(.signatureDoesNotMatch, "Credential should be scoped to correct service: '\(service)'.")
        }
    }

    /// `host` must be signed, and so must every `x-amz-*` header the request carries.
    private func checkSignedHeaders(_ signedHeaders: [String], _ request: SigV4Request) throws {
        guard signedHeaders.contains("host") else {
            throw OspreyError(.accessDenied, "There were headers present in the request which were not signed: host")
        }
        var unsigned: [String] = []
        for header in request.headers where header.name.hasASCIICaseInsensitivePrefix("x-amz-") {
            let name = header.name.lowercased()
            if !signedHeaders.contains(name), !unsigned.contains(name) {
                unsigned.append(name)
            }
        }
        guard unsigned.isEmpty else {
            throw OspreyError(
                .accessDenied, "There were headers present in the request which were not signed: \(unsigned.joined(separator: ", "))")
        }
    }

    private func signingKey(_ claim: SignatureClaim, lookupSecret: (String) async throws -> String?) async throws -> SigningKey {
        guard let secret = try await lookupSecret(claim.accessKeyId) else { throw SigV4Errors.invalidAccessKeyId() }
        return keys.key(secret: secret, scope: claim.scope)
    }

    private func checkSignature(
        _ provided: String, _ canonical: CanonicalRequest, key: SigningKey, timestamp: String, scope: CredentialScope
    ) throws {
        let computed = key.signature(for: StringToSign.request(timestamp: timestamp, scope: scope, canonicalRequestHash: canonical.hash))
        guard ConstantTime.signaturesMatch(provided: provided, computed: computed) else {
            throw SigV4Errors.signatureDoesNotMatch()
        }
    }
}
