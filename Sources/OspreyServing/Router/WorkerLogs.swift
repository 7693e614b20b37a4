import Foundation
import Logging
import OspreyCore
import OspreyServices
import Synchronization

/// Ships a fleet's worker logs to CloudWatch Logs as they are written: one stream `{prefix}/{worker}` per worker log file
/// (and `{prefix}/setup-{generation}` for environment set-up) in the fleet's log group, `/aws/sagemaker/Endpoints/{endpoint}`
/// (prefix: the variant) or `/aws/sagemaker/TransformJobs` (prefix: the job), where the SageMaker SDK reads them.
final class WorkerLogs: Sendable {
    static func endpointGroup(_ endpoint: String) -> String { "/aws/sagemaker/Endpoints/" + endpoint }
    static let transformGroup = "/aws/sagemaker/TransformJobs"

    private let store: any MetadataStore
    private let accountId: String
    private let group: String
    /// The folders whose log files are shipped, with the stream name prefix of each.
    private let folders: [(path: String, prefix: String)]
    private let clock: any WallClock
    private let logger: Logger
    private let generation: String
    private let pumps = Mutex<[String: LogPump]>([:])
    private let follower = Mutex<Task<Void, Never>?>(nil)

    /// Starts following the log files below each folder (polled every 250 ms) until `stop`.
    init(
        store: any MetadataStore, accountId: String, group: String, folders: [(path: String, prefix: String)], generation: String,
        clock: any WallClock, logger: Logger
    ) {
        self.store = store
        self.accountId = accountId
        self.group = group
        self.folders = folders
        self.generation = generation
        self.clock = clock
        self.logger = logger
        let task = Task { [self] in
            while !Task.isCancelled {
                await ship(endOfStream: false)
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        follower.withLock { $0 = task }
    }

    /// Stores the last lines and stops following; call it once the workers have ended.
    func stop() async {
        let task = follower.withLock { $0 }
        task?.cancel()
        await task?.value
        await ship(endOfStream: true)
    }

    private func ship(endOfStream: Bool) async {
        do {
            for folder in folders {
                for file in Self.logFiles(under: folder.path) {
                    let pump = try await pump(for: file, prefix: folder.prefix)
                    try await pump.flush(endOfStream: endOfStream)
                }
            }
        } catch {
            logger.debug("Could not ship worker logs", metadata: ["group": "\(group)", "error": "\(error)"])
        }
    }

    private func pump(for file: String, prefix: String) async throws -> LogPump {
        if let pump = pumps.withLock({ $0[file] }) { return pump }
        var name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        // Worker names are unique; set-up logs are per fleet (its folder is named by its generation).
        if name == "setup" { name += "-" + generation }
        let stream = prefix + "/" + name
        let now = Int64((clock.now().timeIntervalSince1970 * 1000).rounded())
        _ = try await store.createLogGroup(accountId: accountId, group: group, creationTime: now)
        _ = try await store.createLogStream(accountId: accountId, group: group, stream: stream, creationTime: now)
        let pump = LogPump(
            store: store, accountId: accountId, job: "", group: group, files: [stream: file], streams: [stream: stream], clock: clock)
        pumps.withLock { $0[file] = pump }
        return pump
    }

    /// `*.log` files in `logs` folders below `folder` (a container's, or a multi-model container's models').
    static func logFiles(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".log"), (relative as NSString).deletingLastPathComponent.hasSuffix("logs") {
                files.append(folder + "/" + relative)
            }
        }
        return files.sorted()
    }
}
