import Foundation
import Glibc

/// What the server records about one host's process at launch, so that after a restart it can tell whether the job still
/// runs: the pid alone is not enough, since the kernel reuses pids.
public struct ProcessRecord: Sendable, Hashable, Codable {
    public var host: String
    public var pid: Int32
    /// The process group the job's processes share (the leader's pid).
    public var processGroup: Int32
    /// The process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22); 0 when it could not be read.
    public var startTime: UInt64

    public init(host: String, pid: Int32, processGroup: Int32, startTime: UInt64) {
        self.host = host
        self.pid = pid
        self.processGroup = processGroup
        self.startTime = startTime
    }
}

/// Looks at processes through `kill(pid, 0)` and `/proc`.
public enum ProcessProbe {
    /// The start time of `pid` in clock ticks since boot, or nil when there is no such process (or no `/proc`).
    public static func startTime(of pid: Int32) -> UInt64? {
        stat(of: pid).map(\.startTime)
    }

    /// True while the recorded process runs: the pid exists, is not a zombie, and started when the record says it did.
    /// A record without a start time (0) trusts the pid alone.
    public static func isRunning(_ record: ProcessRecord) -> Bool {
        guard record.pid > 0, kill(record.pid, 0) == 0 || errno == EPERM else { return false }
        guard let info = stat(of: record.pid) else { return false }
        if info.state == "Z" || info.state == "X" { return false }
        return record.startTime == 0 || info.startTime == record.startTime
    }

    /// State letter and start time from `/proc/<pid>/stat`; the command name may hold spaces and parentheses, so fields
    /// are counted from the last `)`.
    static func stat(of pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return (state, start)
    }
}

/// A job whose processes were started by an earlier run of the server: it can be watched and stopped, not reaped, so
/// its exit status is unknown (decide from `output/failure` and the log).
public struct AdoptedJob: Sendable {
    public let records: [ProcessRecord]

    public init(records: [ProcessRecord]) { self.records = records }

    /// The records whose process still runs.
    public func running() -> [ProcessRecord] { records.filter(ProcessProbe.isRunning) }

    /// True when any host still runs: re-adopt it. False: every process is gone, so the job ended while nobody watched.
    public var isRunning: Bool { !running().isEmpty }

    /// Returns once no host runs, polling every `interval`.
    public func waitUntilGone(pollInterval interval: Duration = .milliseconds(250)) async {
        while isRunning {
            try? await Task.sleep(for: interval)
        }
    }

    /// SIGTERM to each running host's process group, SIGKILL to whatever still runs after `grace`; returns when all are gone.
    public func stop(grace: Duration) async {
        for record in running() { kill(-record.processGroup, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for record in running() { kill(-record.processGroup, SIGKILL) }
        await waitUntilGone(pollInterval: .milliseconds(20))
    }
}
