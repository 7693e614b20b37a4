/// The credential scope of a signature: `date/region/service/aws4_request`.
public struct CredentialScope: Sendable, Hashable, CustomStringConvertible {
    /// The day the signing key is for, `yyyyMMdd` (UTC).
    public var date: String
    /// The region the client signed for; Osprey accepts any.
    public var region: String
    /// The service the client signed for, e.g. `s3` or `sagemaker`.
    public var service: String

    public init(date: String, region: String, service: String) {
        self.date = date
        self.region = region
        self.service = service
    }

    /// `date/region/service/aws4_request`, as it appears in the string to sign and the credential.
    public var description: String { "\(date)/\(region)/\(service)/aws4_request" }
}
