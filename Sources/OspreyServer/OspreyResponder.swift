import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1
import OspreyCore
import OspreyServices
import OspreySigV4

/// The one responder on the shared listener: dispatches by request shape, authenticates, renders errors per protocol,
/// stamps request ids and records metrics.
struct OspreyResponder: HTTPResponder {
    typealias Context = OspreyRequestContext

    let authenticator: Authenticator
    let s3: S3Handler
    let native: NativeAPI
    let logs: LogsHandler
    let autoScaling: AutoScalingHandler
    let sageMaker: SageMakerHandler
    let runtime: RuntimeHandler
    let v2: V2Handler
    let query: QueryProtocolHandler
    let health: Health
    let metrics: RequestMetrics

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let wire = WireProtocol.of(request)
        let operation = Self.operation(of: request, wire: wire)
        var response: Response
        do {
            response = try await dispatch(request, wire: wire, context: context)
        } catch let error as RuntimeHandler.ModelError {
            response = error.response
        } catch {
            let failure = Self.ospreyError(error)
            if failure.code == .internalError || failure.code == .unavailable {
                context.logger.error("\(operation) failed", metadata: ["error": "\(error)"])
            } else {
                context.logger.debug("\(operation) refused", metadata: ["error": "\(failure)"])
            }
            response = render(failure, wire: wire, request: request, context: context)
        }
        response.headers[.xAmzRequestId] = context.requestId
        response.headers[Self.amznRequestId] = context.requestId
        let elapsed = ContinuousClock.now - started
        metrics.record(protocol: wire.rawValue, operation: operation, status: Int(response.status.code), duration: elapsed)
        context.logger.debug(
            "\(operation) answered",
            metadata: ["protocol": "\(wire.rawValue)", "status": "\(response.status.code)", "duration": "\(elapsed)"]
        )
        return response
    }

    private func dispatch(_ request: Request, wire: WireProtocol, context: Context) async throws -> Response {
        switch wire {
        case .health:
            return try await health.respond(to: request)
        case .metrics:
            guard request.method == .get else { throw OspreyError(.methodNotAllowed, "Use GET /metrics.") }
            _ = try await authenticator.authenticate(request, service: "s3", uriMode: .standard)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        case .native:
            if request.uri.path == "/api/v1/openapi.json" {
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: NativeAPI.openAPIDocument))
            }
            let auth = try await authenticator.authenticate(request, service: "osprey", uriMode: .standard)
            return try await native.handle(request, auth)
        case .s3:
            let auth = try await authenticator.authenticate(request, service: "s3", uriMode: .s3)
            return try await s3.handle(request, auth)
        case .query:
            let service = QueryProtocolHandler.service(of: request) ?? "sts"
            guard service == "sts" || service == "iam" else {
                throw OspreyError("InvalidAction", "Osprey answers query-protocol requests for sts and iam only, not \(service).")
            }
            let auth = try await authenticator.authenticate(request, service: service, uriMode: .standard)
            return try await query.handle(request, service: service, auth, requestId: context.requestId)
        case .logs:
            let call = try await AWSJSON.decode(
                request, authenticator: authenticator, service: LogsHandler.service, targetPrefix: LogsHandler.targetPrefix, shapes: logs.shapes
            )
            return AWSJSON.response(try await logs.handle(call))
        case .autoScaling:
            let call = try await AWSJSON.decode(
                request, authenticator: authenticator, service: AutoScalingHandler.service, targetPrefix: AutoScalingHandler.targetPrefix,
                shapes: autoScaling.shapes)
            return AWSJSON.response(try await autoScaling.handle(call))
        case .sageMaker:
            return try await sageMaker.handle(request)
        case .runtime:
            return try await runtime.handle(request)
        case .v2:
            return try await v2.handle(request)
        case .unknown:
            throw OspreyError(.notImplemented, "Osprey does not serve \(request.method) \(request.uri.path) yet.")
        }
    }

    private func render(_ error: OspreyError, wire: WireProtocol, request: Request, context: Context) -> Response {
        switch wire {
        case .query:
            return QueryProtocolHandler.error(error, service: QueryProtocolHandler.service(of: request), requestId: context.requestId)
        case .logs:
            return AWSJSON.errorResponse(error, request: request, now: authenticator.clock.now(), serviceTypes: LogsHandler.errorType(of:))
        case .autoScaling:
            return AWSJSON.errorResponse(error, request: request, now: authenticator.clock.now(), serviceTypes: AutoScalingHandler.errorType(of:))
        case .sageMaker:
            return AWSJSON.errorResponse(error, request: request, now: authenticator.clock.now(), serviceTypes: SageMakerHandler.errorType)
        case .runtime:
            return RuntimeHandler.errorResponse(error, request: request, now: authenticator.clock.now())
        case .v2:
            return V2Handler.errorResponse(error)
        case .s3, .metrics:
            return S3Errors.response(error, resource: request.uri.path, requestId: context.requestId, isHead: request.method == .head)
        default:
            return NativeAPI.problem(error, status: NativeAPI.status(of: error.code), requestId: context.requestId)
        }
    }

    static let amznRequestId = HTTPField.Name("x-amzn-RequestId")!

    static func operation(of request: Request, wire: WireProtocol) -> String {
        switch wire {
        case .s3: return S3Operation.name(request)
        case .logs: return LogsHandler.operation(of: request)
        case .autoScaling: return AutoScalingHandler.operation(of: request)
        case .sageMaker: return request.headers[.xAmzTarget].map { String($0.dropFirst("SageMaker.".count)) } ?? "Unknown"
        case .query: return "Query"
        case .runtime: return "InvokeEndpoint"
        case .v2: return V2Handler.operation(of: request)
        case .health, .native, .metrics, .unknown:
            // Paths with ids would make unbounded label sets: keep the first two segments.
            return request.method.rawValue + " /" + request.uri.path.split(separator: "/").prefix(3).joined(separator: "/")
        }
    }

    /// Any error as an `OspreyError`; unknown errors become `.internalError` (their detail goes to the log only).
    static func ospreyError(_ error: any Error) -> OspreyError {
        if let error = error as? OspreyError { return error }
        if error is HTTPParserError {
            return OspreyError(.incompleteBody, "The connection ended before the request body was complete.", cause: error)
        }
        if let error = error as? HTTPError {
            let code: OspreyError.Code = error.status == .contentTooLarge ? .entityTooLarge : .invalidRequest
            return OspreyError(code, error.body ?? "\(error.status)")
        }
        return OspreyError(.internalError, "Internal error", cause: error)
    }
}
