import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import OspreyCompute
import OspreyCore
import Synchronization

/// Osprey's Python worker (`osprey_worker.py`): loads a SageMaker-style `inference.py` and answers over a socketpair that
/// only the router holds (the worker's fd 3), so nothing else on the machine can reach it.
public enum PythonWorker {
    /// Starts `launch.command + [-u, -c, <worker code>]` through `executor` (its own `/opt/ml`, process group, log file and
    /// memory limit) and returns once `model_fn` has returned.
    ///
    /// Throws `.validation` when the model cannot load: the message is the worker's error (`model_fn raised ...`) or, when
    /// the process ended first, how it ended and the last lines of its log; `.unavailable` when it is not ready within
    /// `startTimeout` (it is killed). Errors of `executor.start` pass through.
    public static func start(
        _ launch: WorkerLaunch, executor: LocalExecutor, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "osprey.serving.worker")
    ) async throws -> any InferenceWorker {
        guard !launch.command.isEmpty else { throw OspreyError(.validation, "The model worker '\(launch.name)' needs a Python interpreter.") }
        var spec = try launch.spec(arguments: launch.command + ["-u", "-c", try workerSource()], environment: [:])
        var descriptors: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0 else {
            throw OspreyError(.internalError, "Cannot make a socket pair for a model worker: \(String(cString: strerror(errno))).")
        }
        spec.inheritedDescriptor = descriptors[1]
        let job: RunningJob
        do {
            job = try await executor.start(spec)
        } catch {
            close(descriptors[0])
            close(descriptors[1])
            throw error
        }
        close(descriptors[1])  // the worker's copy is its only one: its exit ends our stream

        let loop = group.next()
        let ready = loop.makePromise(of: WorkerReplyHeader.self)
        let name = launch.name
        let timeout = TimeAmount(launch.invocationTimeout)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(WorkerFrameDecoder()),
                        WorkerChannelHandler(name: name, timeout: timeout, ready: ready) { _ in Task { await job.stop(grace: .zero) } }
                    )
                }
            }.withConnectedSocket(descriptors[0]).get()
        } catch {
            await job.stop(grace: .zero)
            _ = await job.wait()
            throw OspreyError(.internalError, "Cannot attach to the model worker '\(name)'.", cause: error)
        }
        let worker = SocketWorker(launch: launch, channel: channel, job: job, logger: logger)

        let startTimeout = loop.scheduleTask(in: TimeAmount(launch.startTimeout)) {
            ready.fail(OspreyError(.unavailable, "The model worker '\(name)' did not load its model within \(launch.startTimeout)."))
        }
        let header: WorkerReplyHeader
        do {
            header = try await ready.futureResult.get()
            startTimeout.cancel()
        } catch {
            startTimeout.cancel()
            await job.stop(grace: .zero)
            let ended = await worker.waitUntilExited()
            if let error = error as? OspreyError, error.workerFailure == nil { throw OspreyError(error.code, error.message + " " + ended) }
            throw OspreyError(.validation, ended)
        }
        guard header.ready == true else {
            await job.stop(grace: launch.stopGrace)
            _ = await worker.waitUntilExited()
            throw OspreyError(.validation, "The model worker '\(name)' could not load the model: \(header.error ?? "no reason given").")
        }
        logger.debug("model worker ready", metadata: ["worker": "\(name)", "pid": "\(job.pids.first ?? 0)"])
        return worker
    }

    /// The worker's Python code, from the module's resources.
    static func workerSource() throws -> String {
        if let source = cachedSource { return source }
        throw OspreyError(.internalError, "The Python worker's code (osprey_worker.py) is missing from Osprey's resources.")
    }

    private static let cachedSource: String? = Bundle.module.url(forResource: "osprey_worker", withExtension: "py").flatMap {
        try? String(contentsOf: $0, encoding: .utf8)
    }
}

/// A running Python worker: calls go over its socket as frames; see `WorkerChannelHandler`.
final class SocketWorker: InferenceWorker {
    let name: String
    var processId: Int32 { job.pids.first ?? 0 }
    private let launch: WorkerLaunch
    private let channel: any Channel
    private let job: RunningJob
    private let calls = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// Ends with the process: closes the channel (so no call waits on a dead worker) and describes the exit.
    private let exit: Task<String, Never>

    init(launch: WorkerLaunch, channel: any Channel, job: RunningJob, logger: Logger) {
        self.name = launch.name
        self.launch = launch
        self.channel = channel
        self.job = job
        self.exit = Task {
            let exits = await job.wait()
            try? await channel.close()
            let status = exits.first?.status
            if exits.first?.stoppedBy == nil {
                logger.warning("model worker ended", metadata: ["worker": "\(launch.name)", "status": "\(status.map { "\($0)" } ?? "?")"])
            }
            return launch.exitDescription(status)
        }
    }

    var inFlight: Int { calls.load(ordering: .relaxed) }

    func invoke(_ request: InvocationRequest) async throws -> InvocationResponse {
        let reply = try await call(.invoke(request))
        guard let status = reply.header.status else { throw await broken("answered without a status") }
        return InvocationResponse(
            status: status, body: reply.body, contentType: reply.header.contentType, customAttributes: reply.header.customAttributes
        )
    }

    func invokeBatch(_ requests: [InvocationRequest]) async throws -> [InvocationResponse] {
        guard !requests.isEmpty else { return [] }
        let reply = try await call(.batch(requests))
        guard let items = reply.header.batch, items.count == requests.count,
            items.allSatisfy({ $0.length >= 0 }), items.reduce(0, { $0 + $1.length }) == reply.body.readableBytes
        else { throw await broken("answered a batch of \(requests.count) with a different shape") }
        var body = reply.body
        return items.map { item in
            InvocationResponse(
                status: item.status, body: body.readSlice(length: item.length)!, contentType: item.contentType,
                customAttributes: item.customAttributes
            )
        }
    }

    func ping() async -> Bool {
        (try? await call(.ping))?.header.status == 200
    }

    func waitUntilExited() async -> String { await exit.value }

    func stop() async {
        stopping.store(true, ordering: .relaxed)
        await job.stop(grace: launch.stopGrace)
        _ = await exit.value
    }

    private func call(_ request: WorkerRequest) async throws -> WorkerReply {
        guard !stopping.load(ordering: .relaxed) else { throw stoppedFailure }
        let loop = channel.eventLoop
        let reply = loop.makePromise(of: WorkerReply.self)
        let written = loop.makePromise(of: Void.self)
        let name = name
        written.futureResult.whenFailure { _ in
            reply.fail(WorkerFailure(.exited, worker: name, message: "The model worker '\(name)' is not running.").ospreyError)
        }
        channel.writeAndFlush(WorkerCall(request: request, reply: reply), promise: written)
        // Counted once submitted: calls counted earlier are ahead of this one on the socket.
        calls.add(1, ordering: .relaxed)
        defer { calls.subtract(1, ordering: .relaxed) }
        do {
            return try await reply.futureResult.get()
        } catch let error as OspreyError where error.workerFailure?.kind == .exited && stopping.load(ordering: .relaxed) {
            throw stoppedFailure
        }
    }

    private var stoppedFailure: OspreyError {
        WorkerFailure(.stopped, worker: name, message: "The model worker '\(name)' was stopped.").ospreyError
    }

    /// Kills a worker that broke the protocol and returns the error to throw.
    private func broken(_ what: String) async -> OspreyError {
        await job.stop(grace: .zero)
        return WorkerFailure(.protocolViolation, worker: name, message: "The model worker '\(name)' \(what).").ospreyError
    }
}
