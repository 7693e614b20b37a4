import NIOCore
import OspreyCore

/// One invocation as the router hands it to a worker (InvokeEndpoint's body and headers).
public struct InvocationRequest: Sendable {
    public var body: ByteBuffer
    public var contentType: String?
    /// Nil or `*/*`: the worker's default (`SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`, else `application/json`).
    public var accept: String?
    /// `X-Amzn-SageMaker-Custom-Attributes`, passed through as given.
    public var customAttributes: String?
    /// A multi-model endpoint's `TargetModel`.
    public var targetModel: String?

    public init(
        body: ByteBuffer, contentType: String? = nil, accept: String? = nil, customAttributes: String? = nil, targetModel: String? = nil
    ) {
        self.body = body
        self.contentType = contentType
        self.accept = accept
        self.customAttributes = customAttributes
        self.targetModel = targetModel
    }
}

/// A worker's answer. A status other than 2xx is the model's own error (a handler raised, an unsupported content type):
/// `body` holds its message; the router reports it as `ModelError` with `OriginalStatusCode`.
public struct InvocationResponse: Sendable {
    public var status: Int
    public var body: ByteBuffer
    public var contentType: String?
    public var customAttributes: String?

    public init(status: Int, body: ByteBuffer, contentType: String? = nil, customAttributes: String? = nil) {
        self.status = status
        self.body = body
        self.contentType = contentType
        self.customAttributes = customAttributes
    }
}

/// A running model worker: a process that loaded one model and answers invocations.
///
/// Calls may be made concurrently; when the worker itself fails (rather than the model), calls throw
/// `OspreyError(.unavailable)` whose `workerFailure` says what happened and whether another worker may take the request.
public protocol InferenceWorker: Sendable {
    /// The launch's name.
    var name: String { get }
    /// The worker's main process (for its memory use).
    var processId: Int32 { get }
    /// Runs one invocation. Throws `.unavailable` when the worker died, was stopped or did not answer within its
    /// `invocationTimeout` (a worker that timed out is killed); the model's own errors are responses, not throws.
    func invoke(_ request: InvocationRequest) async throws -> InvocationResponse
    /// Runs several invocations as one batch (the Python worker calls `predict_fn` once when the inputs can be joined);
    /// one response per request, in order, each with its own status.
    func invokeBatch(_ requests: [InvocationRequest]) async throws -> [InvocationResponse]
    /// True when the worker answers a health check (`GET /ping` or a ping frame); false when it is dead or stopped.
    func ping() async -> Bool
    /// Calls sent and not yet answered, for least-busy routing.
    var inFlight: Int { get }
    /// Returns once the worker's process has ended, with how it ended and the last lines of its log.
    func waitUntilExited() async -> String
    /// Stops the worker: SIGTERM, SIGKILL after the launch's `stopGrace`; returns once the process is gone. Calls still
    /// in flight fail as retryable. Idempotent.
    func stop() async
}

/// Why a call failed on the worker's side rather than the model's; the `cause` of the `OspreyError(.unavailable)`.
public struct WorkerFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The process ended (or was killed because another call timed out) before answering.
        case exited
        /// This call was not answered within the invocation timeout; the worker was killed.
        case timedOut
        /// `stop()` was called.
        case stopped
        /// The worker broke the framing protocol; it was killed.
        case protocolViolation
    }

    public var kind: Kind
    /// The worker's name.
    public var worker: String
    /// A sentence for humans.
    public var message: String

    public init(_ kind: Kind, worker: String, message: String) {
        self.kind = kind
        self.worker = worker
        self.message = message
    }

    /// True when sending the same request to another worker is the right move: this one ended before answering.
    /// False for a timeout, which another worker would most likely repeat.
    public var retryable: Bool { kind != .timedOut }

    public var description: String { message }

    /// The error callers see.
    var ospreyError: OspreyError { OspreyError(.unavailable, message, cause: self) }
}

extension OspreyError {
    /// The worker failure behind this error, if it is one.
    public var workerFailure: WorkerFailure? { cause as? WorkerFailure }
}
