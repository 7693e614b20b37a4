import Foundation
public import OspreyCore

/// How the local executor schedules and runs training jobs; server settings, not per-job ones.
public struct TrainingSettings: Sendable, Equatable {
    /// Concurrent instances per instance type, overriding the default from the machine's cores and memory
    /// (`ml.m5.large=4,ml.c5.xlarge=2`).
    public var slots: [String: Int] = [:]
    /// Managed spot: how long an interrupted job waits before it restarts.
    public var spotRestartDelay: Duration = .seconds(2)
    /// Managed spot: random interruptions injected per hour of training (0 = none), to test resuming from checkpoints.
    public var spotInterruptionsPerHour: Double = 0
    /// How often a running job's checkpoint folder is synced to its `CheckpointConfig.S3Uri`.
    public var checkpointSyncInterval: Duration = .seconds(2)
    /// How much downloaded channel data is kept to be linked into later jobs instead of copied again.
    public var channelCacheBytes: Int64 = 10 << 30

    public init() {}

    /// Parses `ml.m5.large=4,ml.c5.xlarge=2`.
    public static func parseSlots(_ text: String) throws -> [String: Int] {
        var slots: [String: Int] = [:]
        for entry in text.split(separator: ",") where !entry.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].hasPrefix("ml."), let count = Int(parts[1]), count >= 1 else {
                throw OspreyError(.validation, "Training slots must look like 'ml.m5.large=4,ml.c5.xlarge=2', not '\(entry)'.")
            }
            slots[parts[0]] = count
        }
        return slots
    }
}
