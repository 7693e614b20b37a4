/// The SigV4 parameters of a presigned URL's query.
struct PresignedQuery {
    var claim: SignatureClaim
    var timestamp: String
    var expires: Int

    /// The longest lifetime AWS allows a presigned URL: seven days.
    static let maxExpires = 604_800

    /// Reads `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders` and
    /// `X-Amz-Signature` from decoded query parameters.
    static func parse(_ parameters: [QueryParameter]) throws -> PresignedQuery {
        func value(_ name: String) -> String? {
            let bytes = Array(name.utf8)
            return parameters.first { $0.name == bytes }?.valueString
        }
        let algorithm = value("X-Amz-Algorithm") ?? ""
        guard algorithm == StringToSign.algorithm else {
            throw SigV4Errors.invalidArgument("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\", got \"\(algorithm)\".")
        }
        var missing: [String] = []
        for name in ["X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"]
        where value(name) == nil {
            missing.append(name)
        }
        guard missing.isEmpty, let credential = value("X-Amz-Credential"), let timestamp = value("X-Amz-Date"),
            let expiresText = value("X-Amz-Expires"), let signedHeaders = value("X-Amz-SignedHeaders"),
            let signature = value("X-Amz-Signature")
        else {
            throw SigV4Errors.incomplete(
                "Query-string authentication requires the parameters \(missing.joined(separator: ", ")).")
        }
        guard let expires = Int(expiresText), (1...maxExpires).contains(expires) else {
            throw SigV4Errors.invalidArgument(
                "X-Amz-Expires must be a number of seconds from 1 to \(maxExpires) (a week), got \"\(expiresText)\".")
        }
        let (accessKeyId, scope) = try SignatureClaim.parseCredential(credential)
        let claim = SignatureClaim(
            accessKeyId: accessKeyId, scope: scope, signedHeaders: try SignatureClaim.parseSignedHeaders(signedHeaders),
            signature: signature)
        return PresignedQuery(claim: claim, timestamp: timestamp, expires: expires)
    }
}
