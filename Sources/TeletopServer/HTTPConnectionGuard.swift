import NIOCore
import NIOHTTP1

/// Sits between NIO's HTTP/1 codec and the HTTP types, where the request's
/// version and the raw parser errors are still visible, and answers what no
/// other layer does:
///
/// - `Expect: 100-continue` gets `100 Continue` at once (or no 100 when the
///   declared body is over the limit: the route answers 413 and the connection
///   closes), so uploads do not stall for the client's one-second fallback.
/// - A request that does not keep the connection alive (HTTP/1.0 without
///   `keep-alive`, `Connection: close`, or CONNECT, after which the parser
///   reads no more) is closed once its response ends; an HTTP/1.0 response is
///   sent as HTTP/1.0, so a streamed body is delimited by the close instead of
///   by chunks that client cannot decode.
/// - Broken framing (a bad chunk size, a chunk longer than declared, an
///   unsupported Transfer-Encoding, headers over the limit) is answered 400 in
///   the JSON error shape with the reason, and the connection is closed at once.
/// - A client that closes its connection is noticed at once (`whenClientLeaves`),
///   not at the next write: the server keeps half-closed connections open, so
///   the end of the client's input is the first sign that it has gone.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let maxBodyBytes: Int
    private var version = HTTPVersion.http1_1
    private var closeAfterResponse = false
    /// A final response head went out and its end has not yet.
    private var responding = false
    /// A parse error was answered: whatever else is written is dropped.
    private var answeredError = false
    /// The client's input has ended (or the connection closed), and who wants to know
    /// during the request in flight.
    private var clientLeft = false
    private var leaveListeners: [@Sendable () -> Void] = []

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answeredError else { return }
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        version = head.version
        closeAfterResponse = !head.isKeepAlive || head.method == .CONNECT
        if head.version != .http1_0, head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            head.headers.remove(name: "expect")
            let declared = head.headers["content-length"].first.flatMap { Int($0) } ?? 0
            if declared > maxBodyBytes {
                // The body will not be read: the route answers 413 and we close.
                closeAfterResponse = true
            } else {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        }
        // Hummingbird ends the connection after a request that says `Connection: close`.
        if closeAfterResponse { head.headers.replaceOrAdd(name: "connection", value: "close") }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !answeredError else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            responding = true
            if version == .http1_0 {
                head.version = .http1_0
                // Without a length, an HTTP/1.0 body ends where the connection does.
                if !head.headers.contains(name: "content-length") { closeAfterResponse = true }
                if !closeAfterResponse { head.headers.replaceOrAdd(name: "connection", value: "keep-alive") }
            }
            if closeAfterResponse { head.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end(let trailers):
            responding = false
            // The request is answered: its listeners have nothing left to stop.
            leaveListeners.removeAll()
            guard closeAfterResponse else {
                context.write(data, promise: promise)
                return
            }
            let written = promise ?? context.eventLoop.makePromise()
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: written)
        default:
            context.write(data, promise: promise)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent { noteClientLeft() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        noteClientLeft()
        context.fireChannelInactive()
    }

    /// On the channel's event loop: runs `listener` when the client leaves
    /// during the current request (at once if it has already).
    func whenClientLeaves(_ listener: @escaping @Sendable () -> Void) {
        if clientLeft { listener() } else { leaveListeners.append(listener) }
    }

    private func noteClientLeft() {
        clientLeft = true
        let listeners = leaveListeners
        leaveListeners.removeAll()
        for listener in listeners { listener() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let channel = context.channel
        if !responding && !answeredError {
            let body = TelemetryRoutes.errorJSON(error: "bad_request", message: Self.describe(parseError))
            var head = HTTPResponseHead(version: version == .http1_0 ? .http1_0 : .http1_1, status: .badRequest)
            head.headers.add(name: "content-type", value: "application/json")
            head.headers.add(name: "content-length", value: String(body.count))
            head.headers.add(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
        answeredError = true
        // Readers above fail fast instead of taking a cut-off body as complete.
        context.fireErrorCaught(error)
    }

    /// The parser's complaint in words a client's author can act on.
    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow: "the request's header section is too large (at most 80 KiB)"
        case .invalidChunkSize: "the chunked body has an invalid chunk size"
        case .invalidContentLength: "the Content-Length header is not a valid length"
        case .unexpectedContentLength: "Content-Length and Transfer-Encoding were both sent"
        case .invalidEOFState: "the connection ended before the request did (the body is shorter than declared)"
        case .invalidMethod: "the request method is not valid"
        case .invalidURL, .invalidPath, .invalidQueryString: "the request target is not a valid path"
        case .invalidVersion: "the HTTP version is not valid"
        case .invalidHeaderToken: "a header name or value has characters that are not allowed"
        case .lfExpected, .invalidConstant, .invalidCharactersUsed: "the request is not valid HTTP/1.1 (bad framing)"
        case .strictModeAssertion: "the chunked body does not match its chunk sizes"
        case .unknown: "the request's framing is not valid: Transfer-Encoding must be chunked (gzip and others are not supported), and each chunk must match its size"
        default: "the request is not valid HTTP/1.1 (\(error))"
        }
    }
}

