/// The one error type of Osprey's domain: a machine-readable code, a message for humans, an optional cause.
///
/// Adapters map `code` to their wire format (AWS `__type`, S3 XML `<Code>`, MLflow `error_code`, problem JSON).
/// `message` is shown to the caller; `cause` is for logs only and never leaves the server.
public struct OspreyError: Error, CustomStringConvertible, Sendable {
    public var code: Code
    public var message: String
    public var cause: (any Error)?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.cause = cause
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }

    /// An error code. Generic codes name a category; AWS-specific codes are spelled as AWS spells them.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }
    }
}

extension OspreyError.Code {
    // Generic categories.
    public static let validation: Self = "ValidationException"
    public static let notFound: Self = "ResourceNotFound"
    public static let alreadyExists: Self = "ResourceInUse"
    public static let limitExceeded: Self = "ResourceLimitExceeded"
    public static let internalError: Self = "InternalFailure"
    public static let unavailable: Self = "ServiceUnavailable"
    public static let accessDenied: Self = "AccessDenied"
    public static let unauthenticated: Self = "MissingAuthenticationToken"
    // Authentication (SigV4 and keys).
    public static let invalidAccessKeyId: Self = "InvalidAccessKeyId"
    public static let signatureDoesNotMatch: Self = "SignatureDoesNotMatch"
    public static let requestTimeTooSkewed: Self = "RequestTimeTooSkewed"
    public static let incompleteSignature: Self = "IncompleteSignature"
    public static let unrecognizedClient: Self = "UnrecognizedClientException"
    // S3.
    public static let noSuchBucket: Self = "NoSuchBucket"
    public static let noSuchKey: Self = "NoSuchKey"
    public static let noSuchUpload: Self = "NoSuchUpload"
    public static let bucketAlreadyOwnedByYou: Self = "BucketAlreadyOwnedByYou"
    public static let bucketAlreadyExists: Self = "BucketAlreadyExists"
    public static let bucketNotEmpty: Self = "BucketNotEmpty"
    public static let invalidBucketName: Self = "InvalidBucketName"
    public static let invalidArgument: Self = "InvalidArgument"
    public static let invalidRange: Self = "InvalidRange"
    public static let invalidPart: Self = "InvalidPart"
    public static let invalidPartOrder: Self = "InvalidPartOrder"
    public static let entityTooLarge: Self = "EntityTooLarge"
    public static let entityTooSmall: Self = "EntityTooSmall"
    public static let malformedXML: Self = "MalformedXML"
    public static let badDigest: Self = "BadDigest"
    public static let xAmzContentSHA256Mismatch: Self = "XAmzContentSHA256Mismatch"
    public static let invalidRequest: Self = "InvalidRequest"
    public static let incompleteBody: Self = "IncompleteBody"
    public static let keyTooLong: Self = "KeyTooLongError"
    public static let preconditionFailed: Self = "PreconditionFailed"
    public static let notImplemented: Self = "NotImplemented"
    public static let methodNotAllowed: Self = "MethodNotAllowed"
}
