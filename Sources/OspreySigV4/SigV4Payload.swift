/// What a verified signature says about the request body.
public enum SigV4Payload: Sendable, Hashable {
    /// `x-amz-content-sha256` carried this hex digest (lowercase): hash the body and call `checkBody(sha256Hex:)`.
    case sha256(String)
    /// `UNSIGNED-PAYLOAD` (and every presigned URL): the body is not covered by the signature.
    case unsignedPayload
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: an aws-chunked body with chunk signatures.
    case streamingSigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then signed trailing headers.
    case streamingSignedTrailer
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned aws-chunked body, then trailing headers (a checksum).
    case streamingUnsignedTrailer
    /// No `x-amz-content-sha256` header: the signature covers the body's SHA-256, which the server must compute
    /// and pass to `checkBody(sha256Hex:)` — only then is the signature itself checked.
    case bodyHashRequired

    /// Parses an `x-amz-content-sha256` value; nil when it is none of the known forms.
    public init?(headerValue: String) {
        switch headerValue {
        case "UNSIGNED-PAYLOAD": self = .unsignedPayload
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": self = .streamingSigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": self = .streamingSignedTrailer
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": self = .streamingUnsignedTrailer
        default:
            guard Hex.isHex(headerValue, count: 64) else { return nil }
            self = .sha256(headerValue.lowercased())
        }
    }

    /// The `x-amz-content-sha256` value for this payload; nil for `.bodyHashRequired`.
    public var headerValue: String? {
        switch self {
        case .sha256(let hex): return hex
        case .unsignedPayload: return "UNSIGNED-PAYLOAD"
        case .streamingSigned: return "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        case .streamingSignedTrailer: return "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        case .streamingUnsignedTrailer: return "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        case .bodyHashRequired: return nil
        }
    }

    /// Whether the body is `Content-Encoding: aws-chunked` and must go through `AWSChunkedDecoder`.
    public var isStreaming: Bool {
        switch self {
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer: return true
        case .sha256, .unsignedPayload, .bodyHashRequired: return false
        }
    }
}
