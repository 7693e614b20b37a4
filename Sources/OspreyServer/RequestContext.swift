import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The per-request context: Hummingbird's core storage plus the request id every answer carries.
public struct OspreyRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestId: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestId = RequestIDs.next()
        self.logger[metadataKey: "request"] = .string(requestId)
    }
}

/// Request ids: a per-process random prefix and a counter, unique and cheap.
enum RequestIDs {
    private static let prefix = String(UInt32.random(in: 0...UInt32.max), radix: 16, uppercase: true)
    private static let counter = Counter()

    static func next() -> String { prefix + "-" + String(counter.increment(), radix: 16, uppercase: true) }

    final class Counter: Sendable {
        private let value = Mutex<UInt64>(0)
        func increment() -> UInt64 { value.withLock { $0 += 1; return $0 } }
    }
}

import Synchronization
