import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OspreyCore
import OspreySigV4

/// One call of an AWS JSON 1.1 service, authenticated, parsed and checked against the service's shapes.
struct AWSJSONCall: Sendable {
    /// The operation named by `X-Amz-Target` after its prefix, e.g. `GetLogEvents`.
    var operation: String
    /// The request body: a JSON object that satisfied the operation's input shape.
    var input: JSONValue
    /// Who signed the request; scope everything by `principal.accountId`.
    var principal: Principal
}

/// An error as an AWS JSON service names it on the wire: `__type` and HTTP status.
struct AWSJSONErrorType: Sendable, Hashable {
    var type: String
    var status: HTTPResponse.Status
}

/// The AWS JSON 1.1 protocol (`POST /`, `X-Amz-Target: <prefix>.<Operation>`, `application/x-amz-json-1.1`), shared by the
/// adapters that speak it (CloudWatch Logs, SageMaker).
///
/// A handler calls `decode` to authenticate, parse and validate, switches on `AWSJSONCall.operation`, and answers with
/// `response`; the responder renders any thrown error with `errorResponse`, passing the service's own code mapping.
enum AWSJSON {
    static let contentType = "application/x-amz-json-1.1"

    /// Authenticates `request` with SigV4 service name `service` (or a bearer/basic token), reads its body (at most
    /// `bodyLimit` bytes), parses it as a JSON object and validates it against `shapes` for the operation in `X-Amz-Target`.
    ///
    /// Throws the authenticator's errors, `UnknownOperationException` for a target outside `targetPrefix` or `shapes`,
    /// `SerializationException` for a body that is not a JSON object, and `.validation` as the service would.
    static func decode(
        _ request: Request, authenticator: Authenticator, service: String, targetPrefix: String, shapes: ShapeModel, bodyLimit: Int = 16 << 20
    ) async throws -> AWSJSONCall {
        let auth = try await authenticator.authenticate(request, service: service, uriMode: .standard)
        let target = request.headers[.xAmzTarget] ?? ""
        guard target.hasPrefix(targetPrefix + "."), case let operation = String(target.dropFirst(targetPrefix.count + 1)),
            shapes.inputs[operation] != nil
        else {
            throw OspreyError(.unknownOperation, "Operation \(target.split(separator: ".").last ?? "") is not supported.")
        }
        let body = try await auth.collectBody(limit: bodyLimit)
        let input = try JSONValue.parse(body)
        guard case .object = input else {
            throw OspreyError(.serialization, "The request body must be a JSON object.")
        }
        try shapes.validate(input, operation: operation)
        return AWSJSONCall(operation: operation, input: input, principal: auth.principal)
    }

    /// A 200 answer carrying `output` as compact JSON.
    static func response(_ output: JSONValue) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: output.text)))
    }

    /// Renders `error` as AWS JSON services do: `{"__type": …, "message": …}` with the `x-amzn-ErrorType` header.
    ///
    /// `serviceTypes` names the service's own codes (e.g. `.notFound` → `ResourceNotFoundException`) and wins over the
    /// shared mapping of authentication and protocol errors. Internal failures get a generic message; their detail stays in
    /// the server's log. `now` dates the "Signature expired" message of a skewed request.
    static func errorResponse(
        _ error: OspreyError, request: Request, now: Date, serviceTypes: (OspreyError.Code) -> AWSJSONErrorType?
    ) -> Response {
        let kind = serviceTypes(error.code) ?? sharedType(of: error.code)
        var message = error.message
        switch error.code {
        case .internalError: message = "An internal error occurred. Please try again."
        case .invalidAccessKeyId: message = "The security token included in the request is invalid."
        case .requestTimeTooSkewed: message = signatureExpired(request, now: now) ?? error.message
        default: break
        }
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.xAmznErrorType] = kind.type
        let body = JSONValue.object(["__type": .string(kind.type), "message": .string(message)])
        return Response(status: kind.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.text)))
    }

    /// How AWS JSON services answer Osprey's generic, authentication and protocol codes.
    static func sharedType(of code: OspreyError.Code) -> AWSJSONErrorType {
        switch code {
        case .invalidAccessKeyId, .unrecognizedClient: return AWSJSONErrorType(type: "UnrecognizedClientException", status: .badRequest)
        case .signatureDoesNotMatch, .requestTimeTooSkewed: return AWSJSONErrorType(type: "InvalidSignatureException", status: .badRequest)
        case .incompleteSignature: return AWSJSONErrorType(type: "IncompleteSignatureException", status: .badRequest)
        case .unauthenticated: return AWSJSONErrorType(type: "MissingAuthenticationTokenException", status: .badRequest)
        case .accessDenied: return AWSJSONErrorType(type: "AccessDeniedException", status: .badRequest)
        case .validation: return AWSJSONErrorType(type: "ValidationException", status: .badRequest)
        case .entityTooLarge: return AWSJSONErrorType(type: "RequestEntityTooLargeException", status: .contentTooLarge)
        case .internalError: return AWSJSONErrorType(type: "InternalFailure", status: .internalServerError)
        case .unavailable: return AWSJSONErrorType(type: "ServiceUnavailable", status: .serviceUnavailable)
        default: return AWSJSONErrorType(type: code.rawValue, status: .badRequest)
        }
    }

    /// AWS's message for a signature outside the 15-minute window, from the request's `X-Amz-Date`.
    static func signatureExpired(_ request: Request, now: Date) -> String? {
        guard let stamp = request.headers[.xAmzDate], let signed = AmzDate.parseTimestamp(stamp) else { return nil }
        let window: TimeInterval = 15 * 60
        if signed < now {
            return "Signature expired: \(stamp) is now earlier than \(AmzDate.timestamp(now - window)) (\(AmzDate.timestamp(now)) - 15 min.)"
        }
        return "Signature not yet current: \(stamp) is still later than \(AmzDate.timestamp(now + window)) (\(AmzDate.timestamp(now)) + 15 min.)"
    }
}

extension OspreyError.Code {
    /// AWS JSON protocol errors.
    static let unknownOperation: Self = "UnknownOperationException"
    static let serialization: Self = "SerializationException"
}

extension HTTPField.Name {
    static let xAmznErrorType = Self("x-amzn-ErrorType")!
}

extension AWSJSONCall {
    /// A string member of the input (nil when absent or null).
    func string(_ member: String) -> String? { input[member]?.stringValue }

    /// An integral member of the input (the shapes have checked it is a whole number in range).
    func int64(_ member: String) -> Int64? { input[member]?.numberValue.flatMap { Int64(exactly: $0) } }

    func int(_ member: String) -> Int? { int64(member).map { Int(clamping: $0) } }

    func bool(_ member: String) -> Bool? { input[member]?.boolValue }

    func list(_ member: String) -> [JSONValue]? { input[member]?.arrayValue }
}

extension AWSJSON {
    /// Loads a shapes file made by `scripts/gen-aws-shapes.py` from the OspreyServer bundle (`<name>.json`).
    static func shapes(resource name: String) throws -> ShapeModel {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json"), let data = try? Data(contentsOf: url) else {
            throw OspreyError(.internalError, "The resource \(name).json is missing from the OspreyServer bundle.")
        }
        return try ShapeModel(json: [UInt8](data))
    }
}
