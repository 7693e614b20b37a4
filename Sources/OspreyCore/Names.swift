/// Validation of resource names, as the AWS services define them.
public enum Names {
    /// First path segments the shared listener keeps for its own protocols; no bucket may take them.
    public static let reservedPathSegments: Set<String> = ["api", "ajax-api", "v2", "endpoints", "ui", "static", "metrics", "healthz", "readyz"]

    /// Checks an S3 bucket name (3–63 of `a-z 0-9 . -`, starting and ending with a letter or digit, no `..`,
    /// not an IPv4 address, not `xn--…`/`…-s3alias`, not a reserved path segment). Throws `.invalidBucketName`.
    public static func validateBucket(_ name: String) throws {
        func fail(_ why: String) -> OspreyError {
            OspreyError(.invalidBucketName, "The specified bucket is not valid: '\(name)' \(why).")
        }
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { throw fail("must be between 3 and 63 characters long") }
        let allowed = { (b: UInt8) in (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2E || b == 0x2D }
        guard bytes.allSatisfy(allowed) else { throw fail("may contain only lowercase letters, digits, '.' and '-'") }
        let alnum = { (b: UInt8) in (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard alnum(bytes.first!), alnum(bytes.last!) else { throw fail("must begin and end with a letter or digit") }
        guard !name.contains("..") else { throw fail("must not contain two adjacent periods") }
        let octets = name.split(separator: ".")
        if octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) { throw fail("must not be formatted as an IP address") }
        if name.hasPrefix("xn--") || name.hasSuffix("-s3alias") || name.hasSuffix("--ol-s3") { throw fail("uses a reserved prefix or suffix") }
        if reservedPathSegments.contains(name) {
            throw fail("is reserved by Osprey for its own API (reserved: \(reservedPathSegments.sorted().joined(separator: ", ")))")
        }
    }

    /// Checks an S3 object key: 1–1024 bytes of UTF-8. Throws `.keyTooLong` or `.invalidArgument`.
    public static func validateObjectKey(_ key: String) throws {
        let count = key.utf8.count
        if count == 0 { throw OspreyError(.invalidArgument, "Object key must not be empty.") }
        if count > 1024 { throw OspreyError(.keyTooLong, "Your key is too long: \(count) bytes, at most 1024 are allowed.") }
    }

    /// Checks a SageMaker resource name: `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`. Throws `.validation` naming `field`.
    public static func validateResourceName(_ name: String, field: String) throws {
        let bytes = Array(name.utf8)
        let alnum = { (b: UInt8) in (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) }
        let fail = OspreyError(
            .validation,
            "1 validation error detected: Value '\(name)' at '\(field)' failed to satisfy constraint: "
                + "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
        )
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last), bytes.count <= 63 else { throw fail }
        guard bytes.allSatisfy({ alnum($0) || $0 == 0x2D }) else { throw fail }
    }
}
