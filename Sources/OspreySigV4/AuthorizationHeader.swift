/// The credential, signed headers and signature a client sent, from either the header or a presigned query.
struct SignatureClaim {
    var accessKeyId: String
    var scope: CredentialScope
    var signedHeaders: [String]
    var signature: String

    /// Parses `AKID/yyyyMMdd/region/service/aws4_request`.
    static func parseCredential(_ credential: String) throws -> (accessKeyId: String, scope: CredentialScope) {
        let parts = credential.splitting(UInt8(ascii: "/"), omittingEmpty: false).map(String.init)
        guard parts.count == 5, !parts[0].isEmpty, !parts[2].isEmpty, !parts[3].isEmpty else {
            throw SigV4Errors.incomplete(
                "Credential is malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\", got \"\(credential)\".")
        }
        guard parts[1].utf8.count == 8, parts[1].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw SigV4Errors.incomplete("Credential date must be in the form YYYYMMDD, got \"\(parts[1])\".")
        }
        guard parts[4] == "aws4_request" else {
            throw SigV4Errors.incomplete("Credential should be scoped with a valid terminator: 'aws4_request', not '\(parts[4])'.")
        }
        return (parts[0], CredentialScope(date: parts[1], region: parts[2], service: parts[3]))
    }

    /// Parses `host;x-amz-date`: lowercase names separated by `;`.
    static func parseSignedHeaders(_ text: String) throws -> [String] {
        let names = text.splitting(UInt8(ascii: ";"), omittingEmpty: false).map { $0.lowercased() }
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else {
            throw SigV4Errors.incomplete("SignedHeaders is malformed: \"\(text)\".")
        }
        return names
    }

    /// Parses an `Authorization` header value of the form
    /// `AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex`.
    static func parseAuthorization(_ value: String) throws -> SignatureClaim {
        let fields = try authorizationFields(value)
        let (accessKeyId, scope) = try parseCredential(fields.credential)
        return SignatureClaim(
            accessKeyId: accessKeyId, scope: scope, signedHeaders: try parseSignedHeaders(fields.signedHeaders), signature: fields.signature)
    }

    private typealias AuthorizationFields = (credential: String, signedHeaders: String, signature: String)

    /// The three parameters of an `Authorization` value (the last of each name counts; unknown names are ignored).
    private static func authorizationFields(_ value: String) throws -> AuthorizationFields {
        let trimmed = value.trimmingASCIIWhitespace()
        let prefix = StringToSign.algorithm
        guard trimmed.hasPrefix(prefix + " ") || trimmed.hasPrefix(prefix + "\t") else {
            let scheme = trimmed.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            throw SigV4Errors.invalidArgument(
                "Unsupported Authorization Type \"\(scheme)\"; only AWS4-HMAC-SHA256 (Signature Version 4) is supported.")
        }
        var fields: [String: String] = [:]
        for component in trimmed.dropFirst(prefix.count).splitting(UInt8(ascii: ","), omittingEmpty: true) {
            let part = component.trimmingASCIIWhitespace()
            guard let equals = part.firstIndex(of: "=") else {
                throw SigV4Errors.incomplete("Authorization header requires 'key=value' components, got \"\(part)\".")
            }
            fields[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        var missing: [String] = []
        for name in ["Credential", "SignedHeaders", "Signature"] where fields[name] == nil {
            missing.append("Authorization header requires '\(name)' parameter.")
        }
        guard missing.isEmpty, let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"],
            let signature = fields["Signature"]
        else {
            throw SigV4Errors.incomplete(missing.joined(separator: " "))
        }
        return (credential, signedHeaders, signature)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, CR and LF.
    func trimmingASCIIWhitespace() -> String {
        // ASCII text (every header in practice) is trimmed byte by byte: the same result without grapheme breaking.
        let utf8 = Substring(self).utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
            guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) }) else {
                return ""
            }
            return String(Substring(utf8[first...last]))
        }
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }

    /// `split(separator:omittingEmptySubsequences:)` at an ASCII separator; ASCII text is split byte by byte, which gives
    /// the same parts without grapheme breaking.
    func splitting(_ separator: UInt8, omittingEmpty: Bool) -> [Substring] {
        let text = Substring(self)
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.split(separator: Character(Unicode.Scalar(separator)), omittingEmptySubsequences: omittingEmpty)
        }
        return text.utf8.split(separator: separator, omittingEmptySubsequences: omittingEmpty).map { Substring($0) }
    }
}
