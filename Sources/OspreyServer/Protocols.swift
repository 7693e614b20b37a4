import HTTPTypes
import Hummingbird

/// The wire protocols that share the listener, as metrics and error rendering name them.
enum WireProtocol: String, Sendable {
    case s3
    case native
    case health
    case metrics
    case sageMaker = "sagemaker"
    /// CloudWatch Logs: `POST /` with `X-Amz-Target: Logs_20140328.*`.
    case logs
    /// Application Auto Scaling: `POST /` with `X-Amz-Target: AnyScaleFrontendService.*`.
    case autoScaling = "application-autoscaling"
    /// Form-encoded `POST /` with `Action=…` (STS, IAM).
    case query
    /// SageMaker Runtime: `POST /endpoints/{name}/invocations`.
    case runtime = "sagemaker-runtime"
    /// Open Inference Protocol V2 (KServe / Triton HTTP): `/v2/...`.
    case v2
    case unknown

    /// Chooses the protocol by the request's shape: reserved first path segments, then `X-Amz-Target`, else S3.
    static func of(_ request: Request) -> WireProtocol {
        let path = request.uri.path
        let first = path.dropFirst().prefix { $0 != "/" }
        // `PUT /{reserved}` is a CreateBucket that S3 refuses with InvalidBucketName; no reserved handler takes it.
        let rest = path.dropFirst(first.count + 1)
        if request.method == .put && (rest.isEmpty || rest == "/") && !first.isEmpty { return .s3 }
        switch first {
        case "healthz", "readyz": return .health
        case "metrics": return .metrics
        case "api": return .native
        case "endpoints": return .runtime
        case "v2": return .v2
        case "ajax-api", "ui", "static": return .unknown
        default: break
        }
        if request.method == .post && path == "/", let target = request.headers[.xAmzTarget] {
            if target.hasPrefix("SageMaker.") { return .sageMaker }
            if target.hasPrefix(AutoScalingHandler.targetPrefix + ".") { return .autoScaling }
            return target.hasPrefix(LogsHandler.targetPrefix + ".") ? .logs : .unknown
        }
        if request.method == .post && path == "/", request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            return .query
        }
        return .s3
    }
}

extension HTTPField.Name {
    static let xAmzTarget = Self("X-Amz-Target")!
    static let xAmzDate = Self("X-Amz-Date")!
    static let xAmzContentSHA256 = Self("x-amz-content-sha256")!
    static let xAmzRequestId = Self("x-amz-request-id")!
    static let xAmzDecodedContentLength = Self("x-amz-decoded-content-length")!
    static let xAmzCopySource = Self("x-amz-copy-source")!
    static let xAmzMetadataDirective = Self("x-amz-metadata-directive")!
    static let contentMD5 = Self("Content-MD5")!
}
