import Foundation
import OspreyCore

/// The outcome of `SigV4Verifier.verify`: who signed, for what scope, and what remains to check about the body.
///
/// For every payload except `.bodyHashRequired` the signature has been checked. For `.bodyHashRequired` only the
/// credentials, scope and time have been; the server must hash the body and call `checkBody(sha256Hex:)` before
/// acting on the request. For `.sha256` the server must also call `checkBody` with the body's real hash.
public struct VerifiedSignature: Sendable {
    /// The access key id that signed the request.
    public let accessKeyId: String
    /// The credential scope of the signature.
    public let scope: CredentialScope
    /// What the signature says about the body.
    public let payload: SigV4Payload
    /// Whether the credentials came from a presigned URL's query rather than the `Authorization` header.
    public let isPresigned: Bool
    /// The request time the client signed.
    public let date: Date
    /// The request time as `yyyyMMdd'T'HHmmss'Z'`.
    public let timestamp: String
    /// The request signature (lowercase hex); the seed signature of an aws-chunked body.
    public let signature: String
    /// The signing key of `scope`; with `timestamp`, `scope` and `signature` it verifies aws-chunked chunks.
    public let signingKey: SigningKey
    /// For `.bodyHashRequired`: the canonical request whose payload hash is still unknown.
    let pendingRequest: CanonicalRequest?

    init(
        accessKeyId: String, scope: CredentialScope, payload: SigV4Payload, isPresigned: Bool, date: Date, timestamp: String,
        signature: String, signingKey: SigningKey, pendingRequest: CanonicalRequest?
    ) {
        self.accessKeyId = accessKeyId
        self.scope = scope
        self.payload = payload
        self.isPresigned = isPresigned
        self.date = date
        self.timestamp = timestamp
        self.signature = signature
        self.signingKey = signingKey
        self.pendingRequest = pendingRequest
    }

    /// Whether the server must compute the SHA-256 of the body and pass it to `checkBody(sha256Hex:)`.
    public var needsBodyHash: Bool {
        switch payload {
        case .sha256, .bodyHashRequired: return true
        default: return false
        }
    }

    /// Whether the request signature has been checked (false only for `.bodyHashRequired` before `checkBody`).
    public var isSignatureChecked: Bool { payload != .bodyHashRequired }

    /// What `AWSChunkedDecoder` needs to verify chunk and trailer signatures; nil unless the payload is a signed stream.
    public var chunkSigning: ChunkSigningContext? {
        switch payload {
        case .streamingSigned, .streamingSignedTrailer:
            return ChunkSigningContext(signingKey: signingKey, timestamp: timestamp, scope: scope, seedSignature: signature)
        default:
            return nil
        }
    }

    /// Checks the body once its SHA-256 is known.
    ///
    /// `.sha256`: the hash must equal the header's (`XAmzContentSHA256Mismatch` otherwise). `.bodyHashRequired`: the
    /// signature is checked now over that hash (`SignatureDoesNotMatch` otherwise). `.unsignedPayload`: nothing to
    /// check. Streaming payloads are checked by `AWSChunkedDecoder` instead; calling this for them throws.
    public func checkBody(sha256Hex: String) throws {
        let actual = sha256Hex.lowercased()
        switch payload {
        case .sha256(let expected):
            guard ConstantTime.equals(Array(actual.utf8), Array(expected.utf8)) else {
                throw OspreyError(
                    .xAmzContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
            }
        case .bodyHashRequired:
            guard var request = pendingRequest else { throw SigV4Errors.signatureDoesNotMatch() }
            request.payloadHash = actual
            let computed = signingKey.signature(
                for: StringToSign.request(timestamp: timestamp, scope: scope, canonicalRequestHash: request.hash))
            guard ConstantTime.signaturesMatch(provided: signature, computed: computed) else {
                throw SigV4Errors.signatureDoesNotMatch()
            }
        case .unsignedPayload:
            return
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer:
            throw OspreyError(.invalidRequest, "An aws-chunked body is checked by decoding it, not by its hash.")
        }
    }
}
