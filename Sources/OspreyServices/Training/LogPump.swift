import Foundation
import Glibc
import OspreyCompute
import OspreyCore

/// Copies each host's log file into its CloudWatch-style stream, from the offset the store has committed, so a line is
/// stored once even across restarts; empty lines are skipped.
///
/// Each value a metric definition matches becomes a point of the job's metric series (at most
/// `TrainingMetricPoint.maxPerJob`), stored just before the lines it came from. A point is keyed by its line's position, so a
/// line read again after a crash between the two writes stores nothing twice.
public actor LogPump {
    let store: any MetadataStore
    let accountId: String
    let job: String
    let group: String
    /// Host name → log file, and host name → stream name.
    let files: [String: String]
    let streams: [String: String]
    let clock: any WallClock
    private var offsets: [String: UInt64] = [:]
    private let metrics: [(name: String, regex: Regex<AnyRegexOutput>)]
    /// Masks secret values in every stored line.
    private let redactor: Redactor
    /// The last value each metric definition matched, with when.
    private(set) var finalMetrics: [FinalMetric] = []

    /// `job` names the training job whose metric series `metricDefinitions` feed (none for other logs).
    public init(
        store: any MetadataStore, accountId: String, job: String, group: String, files: [String: String], streams: [String: String],
        metricDefinitions: [(name: String, regex: String)] = [], redactor: Redactor = Redactor(secrets: []), clock: any WallClock
    ) {
        self.redactor = redactor
        self.store = store
        self.accountId = accountId
        self.job = job
        self.group = group
        self.files = files
        self.streams = streams
        self.metrics = metricDefinitions.compactMap { definition in (try? Regex(definition.regex)).map { (definition.name, $0) } }
        self.clock = clock
    }

    /// The valid `MetricDefinitions` of a stored CreateTrainingJob request (for a pump that resumes a job's logs).
    static func metricDefinitions(of request: JSONValue) -> [(name: String, regex: String)] {
        (request["AlgorithmSpecification"]?["MetricDefinitions"]?.arrayValue ?? []).compactMap { definition in
            guard let name = definition["Name"]?.stringValue, let regex = definition["Regex"]?.stringValue else { return nil }
            return (name, regex)
        }
    }

    /// The first capture group of each metric regex that matches `line`, as points; each also becomes its metric's latest value.
    private func measure(_ line: String, at timestamp: Int64, stream: String, offset: UInt64) -> [TrainingMetricPoint] {
        var points: [TrainingMetricPoint] = []
        for metric in metrics {
            guard let match = try? metric.regex.firstMatch(in: line), match.output.count > 1,
                let text = match.output[1].substring, let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite
            else { continue }
            finalMetrics.removeAll { $0.name == metric.name }
            finalMetrics.append(FinalMetric(name: metric.name, value: value, timestamp: Date(timeIntervalSince1970: Double(timestamp) / 1000)))
            points.append(TrainingMetricPoint(metric: metric.name, value: value, timestamp: timestamp, stream: stream, offset: Int64(offset)))
        }
        return points
    }

    /// Flushes every 200 ms until cancelled.
    public func follow() async {
        while !Task.isCancelled {
            try? await flush(endOfStream: false)
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Stores the complete lines written since the last flush (and, at the end of the stream, a last unterminated line).
    public func flush(endOfStream: Bool) async throws {
        for (host, file) in files.sorted(by: { $0.key < $1.key }) {
            guard let stream = streams[host] else { continue }
            if offsets[host] == nil {
                offsets[host] = UInt64(try await store.logStream(accountId: accountId, group: group, stream: stream)?.sourceOffset ?? 0)
            }
            while true {
                let chunk = try LogTailer(path: file).read(from: offsets[host] ?? 0, endOfStream: endOfStream)
                guard chunk.nextOffset != offsets[host] else { break }
                let now = Int64((clock.now().timeIntervalSince1970 * 1000).rounded())
                let lines = chunk.lines.filter { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }
                let events = lines.map { (timestamp: now, message: redactor.redact($0.text)) }
                var points: [TrainingMetricPoint] = []
                for (line, event) in zip(lines, events) { points += measure(event.message, at: now, stream: stream, offset: line.offset) }
                if !points.isEmpty {
                    try await store.appendTrainingMetrics(accountId: accountId, jobName: job, points: points, limit: TrainingMetricPoint.maxPerJob)
                }
                try await store.appendLogEvents(
                    accountId: accountId, group: group, stream: stream, events: events, ingestionTime: now, sourceOffset: Int64(chunk.nextOffset))
                offsets[host] = chunk.nextOffset
            }
        }
    }
}

/// Appends lines to a job's log file (for what Osprey itself reports there, such as pip's output), as the job's own
/// output is appended: `O_APPEND` writes of whole lines.
public final class LogFileAppender: Sendable {
    let path: String

    public init(path: String) { self.path = path }

    public func append(_ line: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array((line.hasSuffix("\n") ? line : line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
