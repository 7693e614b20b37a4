import Prometheus

/// Request counts and latency histograms per protocol and operation, exposed at `GET /metrics`.
struct RequestMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    func record(protocol wire: String, operation: String, status: Int, duration: Duration) {
        let labels = [("protocol", wire), ("operation", operation), ("status", String(status))]
        registry.makeCounter(name: "osprey_requests_total", labels: labels, help: "Requests answered.").increment()
        registry.makeDurationHistogram(
            name: "osprey_request_duration_seconds", labels: [("protocol", wire), ("operation", operation)], buckets: buckets,
            help: "Time from request head to response head."
        ).record(duration)
    }

    func exposition() -> String { registry.emitToString() }
}
