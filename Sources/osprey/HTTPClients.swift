import AsyncHTTPClient
import NIOCore

/// The CLI's one HTTP client: fails fast when the server is down (a refused connection is not retried for 90 s).
enum CLIHTTP {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(300)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
