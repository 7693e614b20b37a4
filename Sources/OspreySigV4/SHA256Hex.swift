import Crypto

/// SHA-256 digests as lowercase hex, the form SigV4 puts in canonical requests and `x-amz-content-sha256`.
public enum SHA256Hex {
    /// The SHA-256 of the empty string: the payload hash of a request without a body.
    public static let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The SHA-256 of the UTF-8 bytes of `text`.
    public static func of(_ text: String) -> String {
        var text = text
        return text.withUTF8 { of(UnsafeRawBufferPointer($0)) }
    }

    /// The SHA-256 of `bytes`.
    public static func of(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return Hex.encode(hasher.finalize())
    }

    /// The SHA-256 of `bytes`.
    public static func of(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { of($0) }
    }
}
