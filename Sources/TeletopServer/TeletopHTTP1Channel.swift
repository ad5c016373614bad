import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 channel, set up as its own `HTTP1Channel` is, with
/// `HTTPConnectionGuard` placed below the HTTP types, where the request's
/// version and the parser's errors can still be seen.
struct TeletopHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let idleTimeout: Duration
    let maxBodyBytes: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // NIOAsyncChannel takes requests one at a time
                withErrorHandling: false,  // HTTPConnectionGuard answers parse errors
                withOutboundHeaderValidation: false,  // HTTP types validate outbound headers
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: .init()
            )
            try pipeline.addHandler(HTTPConnectionGuard(maxBodyBytes: maxBodyBytes))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }

    static func builder(idleTimeout: Duration, maxBodyBytes: Int) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            TeletopHTTP1Channel(responder: responder, idleTimeout: idleTimeout, maxBodyBytes: maxBodyBytes)
        }
    }
}

/// Hummingbird's basic context plus the connection, so a route can tell at
/// once that its client has gone (an abandoned query, a stream nobody reads).
public struct TeletopRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// nil in tests that drive the router without a connection.
    let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Runs `gone` when the client has gone: its input ended or the connection
    /// closed (at once if that has happened already). `gone` may run twice.
    func onClientGone(_ gone: @escaping @Sendable () -> Void) {
        guard let channel else { return }
        // The guard also hears the connection close, and forgets the listener when
        // the response ends, so a long keep-alive connection does not collect them.
        channel.eventLoop.execute {
            (try? channel.pipeline.syncOperations.handler(type: HTTPConnectionGuard.self))?.whenClientLeaves(gone)
        }
    }
}
