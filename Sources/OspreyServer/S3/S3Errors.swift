import HTTPTypes
import Hummingbird
import OspreyCore

/// Renders errors as S3 does: `<Error><Code>…</Code><Message>…</Message><Resource>…</Resource><RequestId>…</RequestId></Error>`.
enum S3Errors {
    static func status(of code: OspreyError.Code) -> HTTPResponse.Status {
        switch code {
        case .noSuchBucket, .noSuchKey, .noSuchUpload, .notFound: return .notFound
        case .bucketAlreadyOwnedByYou, .bucketAlreadyExists, .bucketNotEmpty, .alreadyExists: return .conflict
        case .accessDenied, .unauthenticated, .invalidAccessKeyId, .signatureDoesNotMatch, .requestTimeTooSkewed, .unrecognizedClient: return .forbidden
        case .invalidRange: return .rangeNotSatisfiable
        case .preconditionFailed: return .preconditionFailed
        case .notImplemented: return .notImplemented
        case .methodNotAllowed: return .methodNotAllowed
        case .internalError: return .internalServerError
        case .unavailable: return .serviceUnavailable
        default: return .badRequest
        }
    }

    /// The code S3 clients know: anonymous requests are `AccessDenied`, generic validation is `InvalidArgument`.
    static func wireCode(_ code: OspreyError.Code) -> String {
        switch code {
        case .unauthenticated: return OspreyError.Code.accessDenied.rawValue
        case .validation: return OspreyError.Code.invalidArgument.rawValue
        default: return code.rawValue
        }
    }

    /// Internal failures are shown as a generic message; their detail stays in the server's log.
    static func response(_ error: OspreyError, resource: String, requestId: String, isHead: Bool) -> Response {
        let status = status(of: error.code)
        var headers = HTTPFields()
        headers[.xAmzRequestId] = requestId
        // HEAD answers carry no body (botocore reports a bare status, e.g. `404 Not Found` for HeadBucket).
        if isHead { return Response(status: status, headers: headers) }
        let message = error.code == .internalError ? "We encountered an internal error. Please try again." : error.message
        var xml = XMLWriter()
        xml.open("Error")
        xml.element("Code", wireCode(error.code))
        xml.element("Message", message)
        xml.element("Resource", resource)
        xml.element("RequestId", requestId)
        xml.close("Error")
        headers[.contentType] = "application/xml"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml.text)))
    }
}
