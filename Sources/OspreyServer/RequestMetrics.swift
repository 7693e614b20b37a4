import Prometheus
import Synchronization

/// Request counts and latency histograms per protocol and operation, exposed at `GET /metrics`.
struct RequestMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    /// The registry's collectors by label values: it hands out one collector per name and labels (and none is ever
    /// unregistered), so keeping them skips its lookup on every request.
    private let collectors = Collectors()

    func record(protocol wire: String, operation: String, status: Int, duration: Duration) {
        let key = Collectors.Key(wire: wire, operation: operation, status: status)
        let (counter, histogram) = collectors.get(key) {
            let labels = [("protocol", wire), ("operation", operation), ("status", String(status))]
            let counter = registry.makeCounter(name: "osprey_requests_total", labels: labels, help: "Requests answered.")
            let histogram = registry.makeDurationHistogram(
                name: "osprey_request_duration_seconds", labels: [("protocol", wire), ("operation", operation)], buckets: buckets,
                help: "Time from request head to response head."
            )
            return (counter, histogram)
        }
        counter.increment()
        histogram.record(duration)
    }

    func exposition() -> String { registry.emitToString() }

    final class Collectors: Sendable {
        struct Key: Hashable {
            var wire: String
            var operation: String
            var status: Int
        }

        private let entries = Mutex<[Key: (Counter, DurationHistogram)]>([:])

        func get(_ key: Key, make: () -> (Counter, DurationHistogram)) -> (Counter, DurationHistogram) {
            if let found = entries.withLock({ $0[key] }) { return found }
            let made = make()
            entries.withLock { $0[key] = made }
            return made
        }
    }
}
