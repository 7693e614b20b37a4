import Foundation
import OspreyCompute
import OspreyCore

/// Copies each host's log file into its CloudWatch-style stream, from the offset the store has committed, so a line is
/// stored once even across restarts; empty lines are skipped.
actor LogPump {
    let store: any MetadataStore
    let accountId: String
    let group: String
    /// Host name → log file, and host name → stream name.
    let files: [String: String]
    let streams: [String: String]
    let clock: any WallClock
    private var offsets: [String: UInt64] = [:]

    init(store: any MetadataStore, accountId: String, group: String, files: [String: String], streams: [String: String], clock: any WallClock) {
        self.store = store
        self.accountId = accountId
        self.group = group
        self.files = files
        self.streams = streams
        self.clock = clock
    }

    /// Flushes every 200 ms until cancelled.
    func follow() async {
        while !Task.isCancelled {
            try? await flush(endOfStream: false)
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Stores the complete lines written since the last flush (and, at the end of the stream, a last unterminated line).
    func flush(endOfStream: Bool) async throws {
        for (host, file) in files.sorted(by: { $0.key < $1.key }) {
            guard let stream = streams[host] else { continue }
            if offsets[host] == nil {
                offsets[host] = UInt64(try await store.logStream(accountId: accountId, group: group, stream: stream)?.sourceOffset ?? 0)
            }
            while true {
                let chunk = try LogTailer(path: file).read(from: offsets[host] ?? 0, endOfStream: endOfStream)
                guard chunk.nextOffset != offsets[host] else { break }
                let now = Int64((clock.now().timeIntervalSince1970 * 1000).rounded())
                let events = chunk.lines.filter { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }.map { (timestamp: now, message: $0.text) }
                try await store.appendLogEvents(
                    accountId: accountId, group: group, stream: stream, events: events, ingestionTime: now, sourceOffset: Int64(chunk.nextOffset))
                offsets[host] = chunk.nextOffset
            }
        }
    }
}
