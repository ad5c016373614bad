import NIOCore
import NIOHTTP1

/// Sits between NIO's HTTP/1 codec and the HTTP types, where the request's
/// version and the raw parser errors are still visible, and answers what no
/// other layer does:
///
/// - `Expect: 100-continue` gets `100 Continue` as soon as its request is the
///   one being answered (or no 100 when the declared body is over the limit:
///   the route answers 413 and the connection closes), so uploads do not stall
///   for the client's one-second fallback.
/// - A request that does not keep the connection alive (HTTP/1.0 without
///   `keep-alive`, `Connection: close`, or CONNECT, after which the parser
///   reads no more) ends the connection once its response ends; an HTTP/1.0
///   response is sent as HTTP/1.0, so a streamed body is delimited by the end
///   of the connection instead of by chunks that client cannot decode.
/// - Broken framing (a bad chunk size, a chunk longer than declared, an
///   unsupported Transfer-Encoding, headers over the limit): Hummingbird answers
///   it with an empty 400 once the responses before it are done; that answer is
///   replaced here by the JSON error shape with the reason, and the connection ends.
/// - A client that closes its connection is noticed at once (`whenClientLeaves`),
///   not at the next write: the server keeps half-closed connections open, so
///   the end of the client's input is the first sign that it has gone. A client
///   that half-closes on purpose after its request is taken as gone too.
///
/// Requests can arrive pipelined (the async channel reads ahead), so what this
/// keeps is per request, in arrival order, and applies to the response being
/// written, which is always the oldest request's.
final class HTTPConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct RequestState {
        var version: HTTPVersion
        var closeAfterResponse: Bool
        var wantsContinue: Bool
    }

    let maxBodyBytes: Int
    /// Requests read and not yet answered, oldest first.
    private var requests: [RequestState] = []
    /// The parser's complaint, waiting for Hummingbird's empty 400 to replace.
    private var parseError: HTTPParserError?
    /// The response being written replaces Hummingbird's 400.
    private var replacingBadRequest = false
    private var clientLeft = false
    private var leaveListeners: [@Sendable () -> Void] = []

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard parseError == nil else { return }
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        // The common case, HTTP/1.1 with no Connection header, is keep-alive without parsing tokens.
        let keepAlive = head.version == .http1_1 && !head.headers.contains(name: "connection") ? true : head.isKeepAlive
        var state = RequestState(version: head.version, closeAfterResponse: !keepAlive || head.method == .CONNECT, wantsContinue: false)
        var changed = false
        if head.version != .http1_0, head.headers.contains(name: "expect"),
           head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            head.headers.remove(name: "expect")
            changed = true
            let declared = head.headers["content-length"].first.flatMap { Int($0) } ?? 0
            // Over the limit the body will not be read: no 100, the route answers 413, the connection ends.
            if declared > maxBodyBytes { state.closeAfterResponse = true } else { state.wantsContinue = true }
        }
        // Hummingbird ends the connection after a request that says `Connection: close`.
        if state.closeAfterResponse && head.headers["connection"] != ["close"] {
            head.headers.replaceOrAdd(name: "connection", value: "close")
            changed = true
        }
        requests.append(state)
        if requests.count == 1 { sendContinueIfWanted(context) }
        // Unchanged, the part goes on as it came: wrapping it again would allocate.
        context.fireChannelRead(changed ? wrapInboundOut(.head(head)) : data)
    }

    /// The oldest request is the one being answered: its 100 may go now.
    private func sendContinueIfWanted(_ context: ChannelHandlerContext) {
        guard let first = requests.first, first.wantsContinue else { return }
        requests[0].wantsContinue = false
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: first.version, status: .continue))), promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            if let parseError, head.status == .badRequest, head.headers["content-length"].first == "0" {
                // Hummingbird's empty 400 for a framing error: the JSON shape, with the reason.
                replacingBadRequest = true
                let body = APIError(.badRequest, "bad_request", Self.describe(parseError)).body
                var replacement = HTTPResponseHead(version: requests.first?.version == .http1_0 ? .http1_0 : .http1_1, status: .badRequest)
                replacement.headers.add(name: "content-type", value: "application/json")
                replacement.headers.add(name: "content-length", value: String(body.count))
                replacement.headers.add(name: "connection", value: "close")
                context.write(wrapOutboundOut(.head(replacement)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: promise)
                return
            }
            if requests.isEmpty { requests.append(RequestState(version: .http1_1, closeAfterResponse: true, wantsContinue: false)) }
            guard requests[0].version == .http1_0 || requests[0].closeAfterResponse || parseError != nil else {
                context.write(data, promise: promise)  // the usual keep-alive answer, untouched
                return
            }
            var head = head
            if requests[0].version == .http1_0 {
                head.version = .http1_0
                // Without a length, an HTTP/1.0 body ends where the connection does.
                if !head.headers.contains(name: "content-length") { requests[0].closeAfterResponse = true }
                if !requests[0].closeAfterResponse { head.headers.replaceOrAdd(name: "connection", value: "keep-alive") }
            }
            if requests[0].closeAfterResponse || parseError != nil { head.headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body where replacingBadRequest:
            promise?.succeed()
        case .end(let trailers):
            // The request is answered: its listeners have nothing left to stop.
            leaveListeners.removeAll()
            let answered = requests.isEmpty ? nil : requests.removeFirst()
            guard replacingBadRequest || answered?.closeAfterResponse == true || parseError != nil else {
                context.write(data, promise: promise)
                sendContinueIfWanted(context)
                return
            }
            // End the connection: the output now, so the answer is read before any
            // reset; the rest a moment later, whatever the client does.
            let written = promise ?? context.eventLoop.makePromise()
            let channel = context.channel
            written.futureResult.whenComplete { _ in
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
            }
            context.writeAndFlush(wrapOutboundOut(.end(replacingBadRequest ? nil : trailers)), promise: written)
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
        if let parseError = error as? HTTPParserError, self.parseError == nil {
            // Nothing more is read. Responses already under way finish; then
            // Hummingbird's 400 (replaced above) ends the connection.
            self.parseError = parseError
        }
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
