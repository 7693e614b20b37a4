/// Where Osprey runs: the region and the root account, as they appear in ARNs.
public struct Deployment: Sendable, Hashable {
    public var region: String
    public static let rootAccount = "000000000000"

    public init(region: String = "us-east-1") {
        self.region = region
    }

    /// `arn:aws:sagemaker:{region}:{account}:{kind}/{name}` and its siblings for other services.
    public func arn(service: String = "sagemaker", account: String, resource: String) -> String {
        "arn:aws:\(service):\(region):\(account):\(resource)"
    }
}
