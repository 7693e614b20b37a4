import Foundation
import NIOCore
public import OspreyCore

/// The workers of one model started outside any endpoint (batch transform): staged, set up and run exactly as an
/// endpoint's variant is, and called directly.
public struct ModelFleet: Sendable {
    /// One pool per container, in invocation order.
    let stages: [WorkerPool]
    /// The folder of the fleet's staged model and logs, removed by `close`.
    let root: String
    /// Ships the workers' logs to CloudWatch Logs while the fleet runs.
    var logs: WorkerLogs? = nil

    /// How many workers the first container has (the default number of calls to keep in flight).
    public var workerCount: Int { stages.first?.count ?? 0 }

    /// Sends `request` through the containers in turn, each answer becoming the next container's request. A worker that
    /// ends before answering gets the request again on another worker, up to `retries` times.
    ///
    /// A model's own error is an answer with its status, not a throw; throws `.unavailable` when no worker could answer.
    public func invoke(_ request: InvocationRequest, retries: Int = 1) async throws -> InvocationResponse {
        var message = request
        var response = InvocationResponse(status: 500, body: ByteBuffer())
        for (index, stage) in stages.enumerated() {
            let last = index == stages.count - 1
            if !last { message.accept = nil }
            response = try await Self.call(stage, retries: retries) { try await $0.invoke(message) }
            guard (200..<300).contains(response.status), !last else { break }
            message = Self.next(after: response, for: request)
        }
        return response
    }

    /// Sends several requests as one batch per container (one `predict_fn` call when the worker can join them); one
    /// answer per request, in order. A request whose answer is an error goes no further down an inference pipeline.
    public func invokeBatch(_ requests: [InvocationRequest], retries: Int = 1) async throws -> [InvocationResponse] {
        var responses = requests.map { _ in InvocationResponse(status: 500, body: ByteBuffer()) }
        var pending = Array(requests.indices)
        var messages = requests
        for (index, stage) in stages.enumerated() where !pending.isEmpty {
            let last = index == stages.count - 1
            let batch = pending.map { position -> InvocationRequest in
                var message = messages[position]
                if !last { message.accept = nil }
                return message
            }
            let answers = try await Self.call(stage, retries: retries) { try await $0.invokeBatch(batch) }
            var still: [Int] = []
            for (position, answer) in zip(pending, answers) {
                responses[position] = answer
                if !last, (200..<300).contains(answer.status) {
                    messages[position] = Self.next(after: answer, for: requests[position])
                    still.append(position)
                }
            }
            pending = still
        }
        return responses
    }

    /// Stops every worker once its calls are answered, ships their last log lines and removes the fleet's folder.
    public func close() async {
        for pool in stages { await pool.close() }
        await logs?.stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    private static func next(after response: InvocationResponse, for request: InvocationRequest) -> InvocationRequest {
        InvocationRequest(body: response.body, contentType: response.contentType, accept: request.accept, customAttributes: request.customAttributes)
    }

    /// Calls the least busy worker; when it ends before answering, again on another one.
    private static func call<T: Sendable>(
        _ pool: WorkerPool, retries: Int, avoiding: String? = nil, _ body: (any InferenceWorker) async throws -> T
    ) async throws -> T {
        guard let worker = pool.pick(avoiding: avoiding) else {
            throw OspreyError(.unavailable, "No model worker of \(pool.label) is running.")
        }
        do {
            return try await body(worker)
        } catch let error as OspreyError where retries > 0 && error.workerFailure?.retryable == true {
            return try await call(pool, retries: retries - 1, avoiding: worker.name, body)
        }
    }
}

extension ServingRuntime {
    /// Starts the workers of `model` in `folder` for `instanceCount` instances of `instanceType`, as an endpoint variant
    /// would get them (same staging, Python environment and worker settings); `environment` is added to every container's.
    ///
    /// The workers' output goes to CloudWatch Logs, group `/aws/sagemaker/TransformJobs`, streams `{logPrefix}/{worker}`.
    /// On a failure, what was started is stopped and the error thrown (a model that cannot load names its error).
    public func startModelFleet(
        _ model: ModelRecord, accountId: String, instanceCount: Int, instanceType: String, label: String, folder: String,
        logPrefix: String, environment: [String: String] = [:]
    ) async throws -> ModelFleet {
        let logs = WorkerLogs(
            store: store, accountId: accountId, group: WorkerLogs.transformGroup,
            folders: model.containers.indices.map { ("\(folder)/\($0)", logPrefix) },
            generation: String(UUID().uuidString.lowercased().prefix(8)), clock: clock, logger: logger)
        var stages: [WorkerPool] = []
        do {
            for (index, container) in model.containers.enumerated() {
                var container = container
                container.environment.merge(environment) { _, given in given }
                let pool = try await startPool(
                    container, label: "\(label)/\(index)", accountId: accountId, instances: instanceCount, folder: "\(folder)/\(index)")
                stages.append(pool)
            }
        } catch {
            for pool in stages { await pool.close() }
            await logs.stop()
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        return ModelFleet(stages: stages, root: folder, logs: logs)
    }
}
