import AsyncHTTPClient
import Foundation
import Glibc
import Logging
import NIOCore
import OspreyCompute
import OspreyCore
import Synchronization

/// A worker that serves SageMaker's container contract: any command that answers `GET /ping` and `POST /invocations`
/// on the loopback port in `SAGEMAKER_BIND_TO_PORT`, with its model in `/opt/ml/model`.
public enum HTTPContractWorker {
    /// Starts `launch.command` through `executor` with `SAGEMAKER_BIND_TO_PORT` set to a free loopback port and returns once
    /// `GET /ping` answers 200. Throws `.validation` when the process ends first (how, and the last lines of its log),
    /// `.unavailable` when it is not ready within `startTimeout` (it is killed).
    ///
    /// A call that misses `invocationTimeout` fails as `.timedOut`; unlike the Python worker, the process is not killed
    /// (each call has its own connection, so no other answer is lost). `invokeBatch` sends the requests concurrently.
    public static func start(
        _ launch: WorkerLaunch, executor: LocalExecutor, client: HTTPClient = HTTPContractWorker.client,
        logger: Logger = Logger(label: "osprey.serving.worker")
    ) async throws -> any InferenceWorker {
        let port = try freeLoopbackPort()
        let spec = try launch.spec(arguments: launch.command, environment: ["SAGEMAKER_BIND_TO_PORT": String(port)])
        let job = try await executor.start(spec)
        let worker = HTTPWorker(launch: launch, port: port, job: job, client: client, logger: logger)
        let deadline = ContinuousClock.now + launch.startTimeout
        while true {
            if await worker.ping() {
                logger.debug("model worker ready", metadata: ["worker": "\(launch.name)", "port": "\(port)"])
                return worker
            }
            if !(await job.endedHosts.isEmpty) {
                throw OspreyError(.validation, await worker.waitUntilExited())
            }
            if Task.isCancelled {
                await job.stop(grace: .zero)
                _ = await worker.waitUntilExited()
                throw CancellationError()
            }
            if ContinuousClock.now >= deadline {
                await job.stop(grace: .zero)
                let ended = await worker.waitUntilExited()
                throw OspreyError(.unavailable, "The model worker '\(launch.name)' did not answer GET /ping within \(launch.startTimeout). \(ended)")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The client contract workers share unless given another: a refused connection fails at once instead of being retried
    /// (a worker that does not listen is down or not ready, not slow), no redirects, HTTP/1.1, up to 64 connections per
    /// worker.
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A port on 127.0.0.1 that was free a moment ago (the kernel's pick).
    static func freeLoopbackPort() throws -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketDescriptor >= 0 else { throw OspreyError(.internalError, "Cannot open a socket to find a free port.") }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketDescriptor, generic, length) == 0 && getsockname(socketDescriptor, generic, &length) == 0
            }
        }
        guard bound else { throw OspreyError(.internalError, "Cannot find a free loopback port: \(String(cString: strerror(errno))).") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A running container-contract worker.
final class HTTPWorker: InferenceWorker {
    let name: String
    var processId: Int32 { job.pids.first ?? 0 }
    private let launch: WorkerLaunch
    private let base: String
    private let job: RunningJob
    private let client: HTTPClient
    private let calls = Atomic<Int>(0)
    private let ended = Flag()
    private let stopping = Atomic<Bool>(false)
    private let exit: Task<String, Never>

    /// SageMaker's real-time response limit is 6 MB; batch transform answers may be larger.
    static let maxResponseBytes = 1 << 30

    init(launch: WorkerLaunch, port: Int, job: RunningJob, client: HTTPClient, logger: Logger) {
        self.name = launch.name
        self.launch = launch
        self.base = "http://127.0.0.1:\(port)"
        self.job = job
        self.client = client
        let ended = self.ended
        self.exit = Task {
            let exits = await job.wait()
            ended.set()
            let status = exits.first?.status
            if exits.first?.stoppedBy == nil {
                logger.warning("model worker ended", metadata: ["worker": "\(launch.name)", "status": "\(status.map { "\($0)" } ?? "?")"])
            }
            return launch.exitDescription(status)
        }
    }

    var inFlight: Int { calls.load(ordering: .relaxed) }

    func invoke(_ request: InvocationRequest) async throws -> InvocationResponse {
        guard !stopping.load(ordering: .relaxed) else { throw failure(.stopped, "was stopped") }
        guard !ended.isSet else { throw failure(.exited, "is not running") }
        calls.add(1, ordering: .relaxed)
        defer { calls.subtract(1, ordering: .relaxed) }
        var call = HTTPClientRequest(url: base + "/invocations")
        call.method = .POST
        if let value = request.contentType { call.headers.add(name: "Content-Type", value: value) }
        if let value = request.accept { call.headers.add(name: "Accept", value: value) }
        if let value = request.customAttributes { call.headers.add(name: "X-Amzn-SageMaker-Custom-Attributes", value: value) }
        if let value = request.targetModel { call.headers.add(name: "X-Amzn-SageMaker-Target-Model", value: value) }
        call.body = .bytes(request.body)
        do {
            let response = try await client.execute(call, timeout: TimeAmount(launch.invocationTimeout))
            let body = try await response.body.collect(upTo: Self.maxResponseBytes)
            return InvocationResponse(
                status: Int(response.status.code), body: body, contentType: response.headers.first(name: "Content-Type"),
                customAttributes: response.headers.first(name: "X-Amzn-SageMaker-Custom-Attributes")
            )
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw failure(.timedOut, "did not answer within \(launch.invocationTimeout)")
        } catch {
            if stopping.load(ordering: .relaxed) { throw failure(.stopped, "was stopped") }
            // A connection refused or reset as the process dies: give its exit up to half a second to be seen.
            for _ in 0..<50 where !ended.isSet { try? await Task.sleep(for: .milliseconds(10)) }
            if ended.isSet { throw failure(.exited, "exited before answering") }
            throw failure(.protocolViolation, "could not be reached: \(error)")
        }
    }

    func invokeBatch(_ requests: [InvocationRequest]) async throws -> [InvocationResponse] {
        try await withThrowingTaskGroup(of: (Int, InvocationResponse).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, try await self.invoke(request)) }
            }
            var responses = [InvocationResponse?](repeating: nil, count: requests.count)
            for try await (index, response) in group { responses[index] = response }
            return responses.map { $0! }
        }
    }

    func ping() async -> Bool {
        guard !ended.isSet, !stopping.load(ordering: .relaxed) else { return false }
        var call = HTTPClientRequest(url: base + "/ping")
        call.method = .GET
        guard let response = try? await client.execute(call, timeout: .seconds(5)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status == .ok
    }

    func waitUntilExited() async -> String { await exit.value }

    func stop() async {
        stopping.store(true, ordering: .relaxed)
        await job.stop(grace: launch.stopGrace)
        _ = await exit.value
    }

    private func failure(_ kind: WorkerFailure.Kind, _ what: String) -> OspreyError {
        WorkerFailure(kind, worker: name, message: "The model worker '\(name)' \(what).").ospreyError
    }
}

/// A flag that a task can raise and anyone can read, without a lock.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .relaxed) }

    func set() { value.store(true, ordering: .relaxed) }
}
