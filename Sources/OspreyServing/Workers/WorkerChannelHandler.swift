import Foundation
import NIOCore
import OspreyCore

/// A call written into a worker's channel: the request and the promise its answer completes.
struct WorkerCall: Sendable {
    var request: WorkerRequest
    var reply: EventLoopPromise<WorkerReply>
}

/// The router's end of a Python worker's socket: writes calls as frames and matches answers to them in order.
///
/// The worker answers one call at a time in the order they came, so answers are matched first-in first-out and checked
/// against their ids. The first frame is the worker's ready message, which completes `ready`. Only the oldest call's
/// deadline matters (every call has the same timeout), so one timer at a time watches it. When the worker's stream ends,
/// breaks the protocol or a call times out, every waiting call fails and `onFailure` is told once (it kills the process).
final class WorkerChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = WorkerFrame
    typealias OutboundIn = WorkerCall
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var id: UInt64
        var reply: EventLoopPromise<WorkerReply>
        var deadline: NIODeadline
    }

    private let name: String
    private let timeout: TimeAmount
    private let onFailure: @Sendable (WorkerFailure) -> Void
    private let decoder = JSONDecoder()
    private var ready: EventLoopPromise<WorkerReplyHeader>?
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    private var nextID: UInt64 = 1
    private var timer: Scheduled<Void>?
    /// Set once the worker is unusable; every later call fails with it.
    private var ended: WorkerFailure?

    init(name: String, timeout: TimeAmount, ready: EventLoopPromise<WorkerReplyHeader>, onFailure: @escaping @Sendable (WorkerFailure) -> Void) {
        self.name = name
        self.timeout = timeout
        self.ready = ready
        self.onFailure = onFailure
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        if let ended {
            call.reply.fail(ended.ospreyError)
            promise?.succeed()
            return
        }
        let id = nextID
        nextID += 1
        // Queued before writing: a write that fails at once closes the channel, which fails every queued call.
        pending.append(Pending(id: id, reply: call.reply, deadline: .now() + timeout))
        if timer == nil { arm(context: context, at: pending.first!.deadline) }
        let bodyLength = call.request.bodyLength
        var prefix = context.channel.allocator.buffer(capacity: 256)
        WorkerFrame.writePrefix(into: &prefix, bodyLength: bodyLength) { call.request.writeHeader(id: id, into: &$0) }
        switch call.request {
        case .ping:
            context.write(wrapOutboundOut(prefix), promise: promise)
        case .invoke(let request):
            context.write(wrapOutboundOut(prefix), promise: nil)
            context.write(wrapOutboundOut(request.body), promise: promise)
        case .batch(let requests):
            context.write(wrapOutboundOut(prefix), promise: requests.isEmpty ? promise : nil)
            for (index, request) in requests.enumerated() {
                context.write(wrapOutboundOut(request.body), promise: index == requests.count - 1 ? promise : nil)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let header: WorkerReplyHeader
        do {
            header = try WorkerReplyHeader.decode(frame.header, with: decoder)
        } catch {
            fail(context: context, failure(.protocolViolation, "sent a header that is not JSON"))
            return
        }
        if let ready {
            self.ready = nil
            ready.succeed(header)
            return
        }
        guard let call = pending.popFirst() else {
            fail(context: context, failure(.protocolViolation, "answered a call it was not sent"))
            return
        }
        guard header.id == call.id else {
            pending.prepend(call)
            let what = "answered call \(header.id.map(String.init) ?? "nil") while call \(call.id) was next"
            fail(context: context, failure(.protocolViolation, what))
            return
        }
        call.reply.succeed(WorkerReply(header: header, body: frame.body))
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context: context, failure(.exited, "exited before answering"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A broken frame is the worker's fault; anything else (a reset as it dies, a frame cut short) is its end.
        if let broken = error as? OspreyError {
            fail(context: context, failure(.protocolViolation, "sent a broken frame: \(broken.message)"))
        } else {
            fail(context: context, failure(.exited, "exited before answering (\(error))"))
        }
    }

    private func arm(context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            guard let first = pending.first else { return }
            if first.deadline <= .now() {
                let timedOut = failure(.timedOut, "did not answer within \(Self.describe(timeout)) and was stopped")
                pending.removeFirst().reply.fail(timedOut.ospreyError)
                fail(context: context, failure(.exited, "was stopped after a call timed out"))
            } else {
                arm(context: context, at: first.deadline)
            }
        }
    }

    private func failure(_ kind: WorkerFailure.Kind, _ what: String) -> WorkerFailure {
        WorkerFailure(kind, worker: name, message: "The model worker '\(name)' \(what).")
    }

    /// `60 seconds`, `250 ms`.
    static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) seconds" : "\(milliseconds) ms"
    }

    /// Fails every waiting call (and the ready promise) with `failure`, closes the channel and tells `onFailure`, once.
    private func fail(context: ChannelHandlerContext, _ failure: WorkerFailure) {
        guard ended == nil else { return }
        ended = failure
        timer?.cancel()
        timer = nil
        ready?.fail(failure.ospreyError)
        ready = nil
        while let call = pending.popFirst() { call.reply.fail(failure.ospreyError) }
        onFailure(failure)
        context.close(promise: nil)
    }
}
