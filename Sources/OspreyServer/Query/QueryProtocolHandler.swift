import Foundation
import HTTPTypes
import Hummingbird
import OspreyCore

/// The AWS query protocol (form-encoded `POST /` with `Action=…`) for the two services clients probe: STS answers
/// `GetCallerIdentity`; IAM answers every action with `AccessDenied`, on which the SageMaker SDK warns and goes on
/// (Osprey has no IAM roles yet).
struct QueryProtocolHandler: Sendable {
    /// The SigV4 service a query request is signed for, from its credential scope (`…/region/SERVICE/aws4_request`).
    static func service(of request: Request) -> String? {
        let authorization = request.headers[.authorization] ?? ""
        guard let credential = authorization.range(of: "Credential=") else { return nil }
        let scope = authorization[credential.upperBound...].prefix { $0 != "," && $0 != " " }.split(separator: "/")
        return scope.count >= 5 ? String(scope[3]) : nil
    }

    func handle(_ request: Request, service: String, _ auth: AuthenticatedRequest, requestId: String) async throws -> Response {
        let form = S3Request.parseQuery(String(decoding: try await auth.collectBody(limit: 1 << 20), as: UTF8.self))
        let action = form["Action"] ?? ""
        switch (service, action) {
        case ("sts", "GetCallerIdentity"):
            let account = auth.principal.accountId
            var xml = XMLWriter()
            xml.openTag(#"GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/""#)
            xml.element("GetCallerIdentityResult") {
                $0.element("Arn", "arn:aws:iam::\(account):root")
                $0.element("UserId", auth.principal.accessKeyId)
                $0.element("Account", account)
            }
            xml.element("ResponseMetadata") { $0.element("RequestId", requestId) }
            xml.close("GetCallerIdentityResponse")
            return S3Handler.xml(xml)
        case ("iam", _):
            throw OspreyError(
                .accessDenied,
                "Osprey has no IAM roles yet: \(action.isEmpty ? "this action" : action) is not available (RoleArn values are recorded as given)."
            )
        default:
            throw OspreyError(
                "InvalidAction", "The action \(action.isEmpty ? "(none)" : action) is not valid for the \(service) service on Osprey."
            )
        }
    }

    /// Query-protocol errors: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
    static func error(_ error: OspreyError, service: String?, requestId: String) -> Response {
        let status: HTTPResponse.Status
        switch error.code {
        case .accessDenied: status = .forbidden
        case .invalidAccessKeyId, .signatureDoesNotMatch, .requestTimeTooSkewed, .unauthenticated, .incompleteSignature: status = .forbidden
        case .internalError: status = .internalServerError
        default: status = .badRequest
        }
        let namespace = service == "iam" ? "https://iam.amazonaws.com/doc/2010-05-08/" : "https://sts.amazonaws.com/doc/2011-06-15/"
        var xml = XMLWriter()
        xml.openTag(#"ErrorResponse xmlns="\#(namespace)""#)
        xml.element("Error") {
            $0.element("Type", status == .internalServerError ? "Receiver" : "Sender")
            $0.element("Code", error.code == .unauthenticated ? "MissingAuthenticationToken" : error.code.rawValue)
            $0.element("Message", error.code == .internalError ? "Internal error" : error.message)
        }
        xml.element("RequestId", requestId)
        xml.close("ErrorResponse")
        var headers = HTTPFields()
        headers[.contentType] = "text/xml"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml.text)))
    }
}
