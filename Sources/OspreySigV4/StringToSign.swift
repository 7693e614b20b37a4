/// The strings to sign of SigV4: for a request, for one aws-chunked chunk, and for aws-chunked trailing headers.
public enum StringToSign {
    /// The algorithm name of every SigV4 request signature.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// `AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n{hex sha256 of canonical request}`.
    public static func request(timestamp: String, scope: CredentialScope, canonicalRequestHash: String) -> String {
        algorithm + "\n" + timestamp + "\n" + scope.description + "\n" + canonicalRequestHash
    }

    /// `AWS4-HMAC-SHA256-PAYLOAD\n{timestamp}\n{scope}\n{previous}\n{sha256("")}\n{hex sha256 of chunk data}`.
    public static func chunk(timestamp: String, scope: CredentialScope, previousSignature: String, chunkHash: String) -> String {
        "AWS4-HMAC-SHA256-PAYLOAD\n" + timestamp + "\n" + scope.description + "\n" + previousSignature + "\n"
            + SHA256Hex.empty + "\n" + chunkHash
    }

    /// `AWS4-HMAC-SHA256-TRAILER\n{timestamp}\n{scope}\n{previous}\n{hex sha256 of canonical trailers}`.
    public static func trailer(timestamp: String, scope: CredentialScope, previousSignature: String, trailersHash: String) -> String {
        "AWS4-HMAC-SHA256-TRAILER\n" + timestamp + "\n" + scope.description + "\n" + previousSignature + "\n" + trailersHash
    }
}
