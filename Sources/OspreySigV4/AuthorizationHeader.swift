/// The credential, signed headers and signature a client sent, from either the header or a presigned query.
struct SignatureClaim {
    var accessKeyId: String
    var scope: CredentialScope
    var signedHeaders: [String]
    var signature: String

    /// Parses `AKID/yyyyMMdd/region/service/aws4_request`.
    static func parseCredential(_ credential: String) throws -> (accessKeyId: String, scope: CredentialScope) {
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
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
        let names = text.split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else {
            throw SigV4Errors.incomplete("SignedHeaders is malformed: \"\(text)\".")
        }
        return names
    }

    /// Parses an `Authorization` header value of the form
    /// `AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex`.
    static func parseAuthorization(_ value: String) throws -> SignatureClaim {
        let trimmed = value.trimmingASCIIWhitespace()
        let prefix = StringToSign.algorithm
        guard trimmed.hasPrefix(prefix + " ") || trimmed.hasPrefix(prefix + "\t") else {
            let scheme = trimmed.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            throw SigV4Errors.invalidArgument(
                "Unsupported Authorization Type \"\(scheme)\"; only AWS4-HMAC-SHA256 (Signature Version 4) is supported.")
        }
        var fields: [String: String] = [:]
        for component in trimmed.dropFirst(prefix.count).split(separator: ",") {
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
        let (accessKeyId, scope) = try parseCredential(credential)
        return SignatureClaim(
            accessKeyId: accessKeyId, scope: scope, signedHeaders: try parseSignedHeaders(signedHeaders), signature: signature)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, CR and LF.
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
