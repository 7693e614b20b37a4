import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Per-connection behaviour Hummingbird leaves to us: no Nagle delay, and `100 Continue` for clients that wait for it.
///
/// botocore sends `Expect: 100-continue` on uploads and waits up to a second for the interim answer; keep-alive
/// clients stall ~40 ms per call when Nagle is on.
final class ConnectionOptionsHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func handlerAdded(context: ChannelHandlerContext) {
        _ = context.channel.setOption(.tcpOption(.tcp_nodelay), value: 1)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data), head.headerFields[.expect]?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}
