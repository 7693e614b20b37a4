import Foundation
import Logging
import OspreyCore
import OspreyServices
import Synchronization

/// Ships a fleet's worker logs to CloudWatch Logs: group `/aws/sagemaker/Endpoints/{endpoint}`, one stream
/// `{variant}/{worker}` per worker log file (and `{variant}/setup` for environment set-up), as they are written.
final class EndpointLogs: Sendable {
    static func group(_ endpoint: String) -> String { "/aws/sagemaker/Endpoints/" + endpoint }

    private let store: any MetadataStore
    private let accountId: String
    private let endpoint: String
    private let clock: any WallClock
    private let logger: Logger
    private let generation: String
    private let pumps = Mutex<[String: LogPump]>([:])
    private let follower = Mutex<Task<Void, Never>?>(nil)

    init(store: any MetadataStore, accountId: String, endpoint: String, generation: String, clock: any WallClock, logger: Logger) {
        self.generation = generation
        self.store = store
        self.accountId = accountId
        self.endpoint = endpoint
        self.clock = clock
        self.logger = logger
    }

    /// Follows the log files under each variant's folder of `root` until `stop`.
    func follow(root: String, variants: [String]) {
        let task = Task {
            while !Task.isCancelled {
                await self.ship(root: root, variants: variants, endOfStream: false)
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        follower.withLock { $0 = task }
    }

    /// Stores the last lines and stops following.
    func stop(root: String, variants: [String]) async {
        let task = follower.withLock { $0 }
        task?.cancel()
        await task?.value
        await ship(root: root, variants: variants, endOfStream: true)
    }

    private func ship(root: String, variants: [String], endOfStream: Bool) async {
        do {
            for variant in variants {
                for file in Self.logFiles(under: root + "/" + variant) {
                    let pump = try await pump(for: file, variant: variant)
                    try await pump.flush(endOfStream: endOfStream)
                }
            }
        } catch {
            logger.debug("Could not ship endpoint logs", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
        }
    }

    private func pump(for file: String, variant: String) async throws -> LogPump {
        if let pump = pumps.withLock({ $0[file] }) { return pump }
        var name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        // Worker names are unique; set-up logs are per fleet (its folder is named by its generation).
        if name == "setup" { name += "-" + generation }
        let stream = variant + "/" + name
        let now = Int64((clock.now().timeIntervalSince1970 * 1000).rounded())
        _ = try await store.createLogGroup(accountId: accountId, group: Self.group(endpoint), creationTime: now)
        _ = try await store.createLogStream(accountId: accountId, group: Self.group(endpoint), stream: stream, creationTime: now)
        let pump = LogPump(store: store, accountId: accountId, job: "", group: Self.group(endpoint), files: [stream: file], streams: [stream: stream],
                           clock: clock)
        pumps.withLock { $0[file] = pump }
        return pump
    }

    /// `*.log` files in `logs` folders below `folder` (a container's, or a multi-model container's models').
    static func logFiles(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".log"), (relative as NSString).deletingLastPathComponent.hasSuffix("logs") { files.append(folder + "/" + relative) }
        }
        return files.sorted()
    }
}
