import Foundation
import NIOCore
import OspreyCore
import Synchronization

/// One endpoint configuration's running variants: immutable, replaced whole when weights change.
struct Fleet: Sendable {
    struct Variant: Sendable {
        var name: String
        var weight: Double
        var instanceCount: Int
        /// One stage per container, in invocation order.
        var stages: [any ServingStage]
        /// Invocations this variant has taken (for autoscaling), kept across weight and capacity changes.
        let invocations = Counter()
    }

    /// A count shared by the copies of a variant.
    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .relaxed) }
        func increment() { count.add(1, ordering: .relaxed) }
    }

    /// The folder of this fleet's models and logs.
    var root: String
    var variants: [Variant]
    /// The configuration's data capture; nil when it has none.
    var capture: DataCapture?
    /// Ships the workers' logs to CloudWatch Logs while the fleet runs.
    var logs: WorkerLogs?

    var instanceCount: Int { variants.reduce(0) { $0 + $1.instanceCount } }

    /// Whether the fleet can take a request for `target` (any variant with weight when nil).
    func serves(_ target: String?) -> Bool {
        guard let target else { return variants.contains { $0.weight > 0 } }
        return variants.contains { $0.name == target }
    }

    /// `target` when given (throws `.validation` when there is no such variant), else a variant drawn by weight.
    func choose(_ target: String?) throws -> Variant {
        if let target {
            guard let variant = variants.first(where: { $0.name == target }) else {
                throw OspreyError(.validation, "Variant \(target) not found for the endpoint.")
            }
            return variant
        }
        let total = variants.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { throw OspreyError(.validation, "No variant of the endpoint takes traffic (every weight is 0).") }
        var draw = Double.random(in: 0..<total)
        for variant in variants where variant.weight > 0 {
            if draw < variant.weight { return variant }
            draw -= variant.weight
        }
        return variants.last { $0.weight > 0 }!
    }

    /// Sends the request through the chosen variant's containers, each answer becoming the next container's request.
    func invoke(_ target: String?, _ request: InvocationRequest) async throws -> ServingRuntime.Routed {
        let variant = try choose(target)
        variant.invocations.increment()
        var message = request
        var response = InvocationResponse(status: 500, body: ByteBuffer())
        for (index, stage) in variant.stages.enumerated() {
            let last = index == variant.stages.count - 1
            if !last { message.accept = nil }
            response = try await stage.invoke(message)
            guard (200..<300).contains(response.status), !last else { break }
            message = InvocationRequest(
                body: response.body, contentType: response.contentType, accept: request.accept, customAttributes: request.customAttributes)
        }
        capture?.record(variant: variant.name, request: request, response: response)
        return ServingRuntime.Routed(variant: variant.name, response: response)
    }

    func close() async {
        await capture?.close()
        for variant in variants { for pool in variant.stages { await pool.close() } }
        await logs?.stop()
        try? FileManager.default.removeItem(atPath: root)
    }
}
