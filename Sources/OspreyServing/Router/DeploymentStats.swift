import Foundation
import OspreyCore
import Synchronization

/// What the new fleet did during one step of a deployment: requests, failures and latencies, for the rollback alarms.
final class DeploymentStats: Sendable {
    private struct Window {
        var requests = 0
        var failures = 0
        var latencies: [Double] = []
    }

    private let window = Mutex(Window())

    func reset() { window.withLock { $0 = Window() } }

    func record(succeeded: Bool, latency: Duration) {
        let milliseconds = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
        window.withLock { window in
            window.requests += 1
            if !succeeded { window.failures += 1 }
            if window.latencies.count < 100_000 { window.latencies.append(milliseconds) }
        }
    }

    /// The first alarm in alarm state, described (nil when none is).
    func tripped(_ alarms: [RollbackAlarm]) -> String? {
        let window = self.window.withLock { $0 }
        guard window.requests > 0 else { return nil }
        for alarm in alarms {
            switch alarm {
            case .modelErrorRate(let percent):
                let rate = Double(window.failures) * 100 / Double(window.requests)
                if rate > percent {
                    return "ModelErrorRate \(String(format: "%.1f", rate))% > \(percent)% (\(window.failures) of \(window.requests) requests failed)"
                }
            case .modelLatencyP99(let limit):
                let sorted = window.latencies.sorted()
                let p99 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
                if p99 > limit { return "ModelLatencyP99 \(String(format: "%.1f", p99)) ms > \(limit) ms" }
            }
        }
        return nil
    }
}

/// The traffic shares a deployment moves through, from its `TrafficRoutingConfiguration`.
enum DeploymentSteps {
    /// All at once: [1]; a canary of N% (or N instances of the fleet): [N, 1]; linear steps of N: [N, 2N, …, 1].
    static func shares(_ routing: DeploymentPolicy.TrafficRouting?, instanceCount: Int) -> [Double] {
        guard let routing, routing.kind != .allAtOnce, let step = routing.step else { return [1] }
        let size = step.isPercent ? Double(step.value) / 100 : Double(step.value) / Double(max(1, instanceCount))
        let share = min(1, max(0.01, size))
        switch routing.kind {
        case .canary: return share < 1 ? [share, 1] : [1]
        case .linear:
            var shares: [Double] = []
            var next = share
            while next < 1 - 1e-9 {
                shares.append(next)
                next += share
            }
            return shares + [1]
        case .allAtOnce: return [1]
        }
    }
}
