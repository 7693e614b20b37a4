import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OspreyCore
import OspreyServices
import OspreyServing

/// SageMaker Runtime (REST-JSON, SigV4 service `sagemaker`): `POST /endpoints/{name}/invocations`.
struct RuntimeHandler: Sendable {
    let authenticator: Authenticator
    let runtime: ServingRuntime
    let endpoints: EndpointService
    let region: String

    /// botocore's limit on an InvokeEndpoint body.
    static let maxPayload = 6_291_456

    func handle(_ request: Request) async throws -> Response {
        let parts = request.uri.path.split(separator: "/", omittingEmptySubsequences: false)
        guard request.method == .post, parts.count == 4, parts[1] == "endpoints", parts[3] == "invocations", !parts[2].isEmpty else {
            throw OspreyError(.notImplemented, "Osprey's runtime serves POST /endpoints/{EndpointName}/invocations.")
        }
        let name = String(parts[2]).removingPercentEncoding ?? String(parts[2])
        let auth = try await authenticator.authenticate(request, service: "sagemaker", uriMode: .standard)
        let body = try await Self.collect(auth.body, limit: Self.maxPayload)
        let headers = request.headers
        let invocation = InvocationRequest(
            body: body, contentType: headers[.contentType], accept: headers[.accept], customAttributes: headers[.customAttributes],
            targetModel: headers[.targetModel])
        let account = auth.principal.accountId
        let routed: ServingRuntime.Routed
        do {
            routed = try await runtime.invoke(
                endpointName: name, accountId: account, targetVariant: headers[.targetVariant], request: invocation)
        } catch let error as OspreyError where error.code == .notFound {
            throw try await notServing(name, accountId: account)
        } catch let error as OspreyError where error.workerFailure?.kind == .timedOut {
            // As SageMaker reports a container that did not answer in time (a ModelError, which clients do not retry).
            throw ModelError(
                status: 0, message: "Your invocation timed out while waiting for a response from container primary.",
                variant: headers[.targetVariant] ?? "", logGroup: "arn:aws:logs:\(region):\(account):log-group:/aws/sagemaker/Endpoints/\(name)")
        }
        let response = routed.response
        guard (200..<300).contains(response.status) else {
            throw ModelError(
                status: response.status, message: String(buffer: response.body), variant: routed.variant,
                logGroup: "arn:aws:logs:\(region):\(account):log-group:/aws/sagemaker/Endpoints/\(name)")
        }
        var out = HTTPFields()
        out[.contentType] = response.contentType ?? invocation.accept ?? "application/json"
        out[.invokedVariant] = routed.variant
        if let attributes = response.customAttributes { out[.customAttributes] = attributes }
        return Response(status: .ok, headers: out, body: .init(byteBuffer: response.body))
    }

    /// Why an endpoint the runtime does not serve cannot be invoked, in SageMaker's words.
    private func notServing(_ name: String, accountId: String) async throws -> OspreyError {
        guard let endpoint = try? await endpoints.endpoint(name: name, accountId: accountId) else {
            return OspreyError(.validation, "Endpoint \(name) of account \(accountId) not found.")
        }
        if endpoint.status == .inService || endpoint.status == .updating {
            // Recorded as serving, but its workers are still being brought back (after a restart): a retry will find them.
            return OspreyError(.unavailable, "Endpoint \(name) of account \(accountId) is starting its workers; try again.")
        }
        return OspreyError(.validation, "Endpoint \(name) of account \(accountId) is \(endpoint.status.rawValue), not InService.")
    }

    /// The whole body; a body over `limit` is read to its end (so the client is answered, not reset) and refused with 413.
    static func collect(_ body: CheckedBody<RequestBody>, limit: Int) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        var total = 0
        for try await var chunk in body {
            total += chunk.readableBytes
            if total <= limit { collected.writeBuffer(&chunk) }
        }
        guard total <= limit else {
            throw OspreyError(.entityTooLarge, "Received payload size of \(total) bytes exceeds the maximum of \(limit) bytes.")
        }
        return collected
    }

    /// The model answered with an error: `ModelError` (424) carrying its status and message.
    struct ModelError: Error {
        var status: Int
        var message: String
        var variant: String
        var logGroup: String

        var response: Response {
            let client = (400..<500).contains(status)
            let kind = client ? "client" : "server"
            let body = JSONValue.object([
                "ErrorCode": .string(client ? "CLIENT_ERROR_FROM_MODEL" : "SERVER_ERROR_FROM_MODEL"),
                "OriginalStatusCode": .number(Double(status)), "OriginalMessage": .string(message), "LogStreamArn": .string(logGroup),
                "message": .string("Received \(kind) error (\(status)) from primary with message \"\(message)\". See \(logGroup) for more information."),
            ])
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.xAmznErrorType] = "ModelError"
            if !variant.isEmpty { headers[.invokedVariant] = variant }
            return Response(status: .init(code: 424), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body.text)))
        }
    }

    /// SageMaker Runtime's error names and statuses.
    static func errorResponse(_ error: OspreyError, request: Request, now: Date) -> Response {
        AWSJSON.errorResponse(error, request: request, now: now) { code in
            switch code {
            case .validation, .notFound: return AWSJSONErrorType(type: "ValidationError", status: .badRequest)
            case .entityTooLarge: return AWSJSONErrorType(type: "ValidationError", status: .contentTooLarge)
            case .unavailable: return AWSJSONErrorType(type: "ServiceUnavailable", status: .serviceUnavailable)
            case .internalError: return AWSJSONErrorType(type: "InternalFailure", status: .internalServerError)
            default: return nil
            }
        }
    }
}

extension HTTPField.Name {
    static let customAttributes = Self("X-Amzn-SageMaker-Custom-Attributes")!
    static let targetModel = Self("X-Amzn-SageMaker-Target-Model")!
    static let targetVariant = Self("X-Amzn-SageMaker-Target-Variant")!
    static let invokedVariant = Self("x-Amzn-Invoked-Production-Variant")!
}
