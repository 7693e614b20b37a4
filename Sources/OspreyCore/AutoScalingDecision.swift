import Foundation

/// A variant's cumulative invocation count sampled over a sliding window, read as invocations per minute.
///
/// SageMaker's metric is per minute; a window shorter than a minute is extrapolated to one. A count that goes down (the
/// fleet was replaced, the server restarted) starts the window afresh.
public struct InvocationWindow: Sendable {
    public var length: TimeInterval
    public private(set) var samples: [(time: Date, count: Int)] = []

    public init(length: TimeInterval) { self.length = length }

    /// Adds a sample and drops those older than the window (keeping the newest one before it, so the window stays covered).
    public mutating func record(count: Int, at time: Date) {
        if let last = samples.last, count < last.count { samples = [] }
        samples.append((time, count))
        while samples.count > 2, samples[1].time <= time.addingTimeInterval(-length) { samples.removeFirst() }
    }

    /// Invocations per minute over the samples held; nil until two samples some time apart.
    public var perMinute: Double? {
        guard let first = samples.first, let last = samples.last, last.time > first.time else { return nil }
        return Double(last.count - first.count) / last.time.timeIntervalSince(first.time) * 60
    }
}

/// What the autoscaler decides for one target at one moment.
public enum ScalingDecision: Sendable, Hashable {
    /// Leave the instance count as it is.
    case hold
    /// Set the instance count to `capacity`; `cause` says why, as `DescribeScalingActivities` shows it.
    case scale(to: Int, cause: String)
}

/// Target tracking on `SageMakerVariantInvocationsPerInstance`, as a pure function of the target, its policies, the
/// measured rate and the times of the last scaling activities.
///
/// Each policy wants `ceil(invocations per minute / TargetValue)` instances (the count at which each instance sees the
/// target value), clamped to the target's bounds. A scale-out waits out the policy's `ScaleOutCooldown` after the last
/// scale-out; a scale-in waits out its `ScaleInCooldown` after the last scaling activity of either direction (standing in
/// for the long low-metric period AWS's scale-in alarm needs) and never happens with `DisableScaleIn`. With several
/// policies the largest scale-out wins; the target scales in only when every policy agrees, to the largest count wanted.
public enum AutoScalingDecision {
    /// The instance count that holds `perMinute` at `targetValue` per instance, before bounds.
    public static func capacity(forPerMinute perMinute: Double, targetValue: Double) -> Int {
        guard targetValue > 0, perMinute > 0 else { return 0 }
        // A hair below an integer ratio is that integer: 30 / 10 must not become 4 through rounding.
        return Int((perMinute / targetValue - 1e-9).rounded(.up))
    }

    public static func clamp(_ capacity: Int, min: Int, max: Int) -> Int { Swift.max(min, Swift.min(max, capacity)) }

    /// The change that brings a count outside the target's bounds inside them, whatever the cooldowns; nil when inside.
    public static func bounds(current: Int, target: ScalableTarget) -> ScalingDecision? {
        if current < target.minCapacity { return .scale(to: target.minCapacity, cause: "minimum capacity was set to \(target.minCapacity)") }
        if current > target.maxCapacity { return .scale(to: target.maxCapacity, cause: "maximum capacity was set to \(target.maxCapacity)") }
        return nil
    }

    /// The decision for a target whose variant has `current` instances, receiving `perMinute` invocations per minute.
    ///
    /// `lastScaleOut` and `lastScaling` are when the last scale-out, and the last activity of either direction, ended
    /// (or started, while one runs).
    public static func decide(
        current: Int, perMinute: Double, target: ScalableTarget, policies: [ScalingPolicy], lastScaleOut: Date?, lastScaling: Date?, now: Date
    ) -> ScalingDecision {
        if let change = bounds(current: current, target: target) { return change }
        guard !policies.isEmpty else { return .hold }
        let wanted = policies.map { policy in
            (
                capacity: clamp(capacity(forPerMinute: perMinute, targetValue: policy.targetValue), min: target.minCapacity, max: target.maxCapacity),
                policy: policy
            )
        }
        let outs = wanted.filter { $0.capacity > current && !within($0.policy.scaleOutCooldownSeconds, of: lastScaleOut, now: now) }
        if !target.scaleOutSuspended, let best = outs.max(by: { $0.capacity < $1.capacity }) {
            return .scale(to: best.capacity, cause: cause(best.policy, perMinute: perMinute, current: current))
        }
        let scalesIn = wanted.allSatisfy {
            $0.capacity < current && !$0.policy.disableScaleIn && !within($0.policy.scaleInCooldownSeconds, of: lastScaling, now: now)
        }
        guard scalesIn, !target.scaleInSuspended, let best = wanted.max(by: { $0.capacity < $1.capacity }) else { return .hold }
        return .scale(to: best.capacity, cause: cause(best.policy, perMinute: perMinute, current: current))
    }

    private static func within(_ seconds: Int, of time: Date?, now: Date) -> Bool {
        guard let time else { return false }
        return now < time.addingTimeInterval(TimeInterval(seconds))
    }

    private static func cause(_ policy: ScalingPolicy, perMinute: Double, current: Int) -> String {
        let perInstance = perMinute / Double(max(current, 1))
        return "\(ScalableVariant.metricType) was \(format(perInstance)) (target \(format(policy.targetValue))) "
            + "triggered policy \(policy.name)"
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
