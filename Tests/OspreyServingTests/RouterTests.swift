import Foundation
import NIOCore
import OspreyCore
import Synchronization
import Testing

@testable import OspreyServing

@Suite struct RouterTests {
    @Test func batchesGatherUpToTheirSizeOrDelay() async throws {
        let sizes = Mutex<[Int]>([])
        let settings = try #require(Batcher.Settings(["OSPREY_MAX_BATCH_SIZE": "4", "OSPREY_MAX_BATCH_DELAY_MS": "20"]))
        #expect(Batcher.Settings([:]) == nil && Batcher.Settings(["OSPREY_MAX_BATCH_SIZE": "1"]) == nil)
        let batcher = Batcher(settings: settings) { requests in
            sizes.withLock { $0.append(requests.count) }
            return requests.map { InvocationResponse(status: 200, body: $0.body) }
        }
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<10 {
                group.addTask { String(buffer: try await batcher.submit(InvocationRequest(body: ByteBuffer(string: "r\(index)"))).body) }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(answers == Set((0..<10).map { "r\($0)" }))
        #expect(sizes.withLock { $0 }.reduce(0, +) == 10 && sizes.withLock { $0 }.allSatisfy { $0 <= 4 })
        #expect(sizes.withLock { $0 }.count <= 5)  // batched, not one call each
        let single = try await batcher.submit(InvocationRequest(body: ByteBuffer(string: "alone")))
        #expect(String(buffer: single.body) == "alone")  // a lone request goes after the delay
    }

    @Test func aFailedBatchFailsEachOfItsCallers() async {
        let settings = Batcher.Settings(["OSPREY_MAX_BATCH_SIZE": "2"])!
        let batcher = Batcher(settings: settings) { _ in throw OspreyError(.unavailable, "gone") }
        await #expect(throws: OspreyError.self) { try await batcher.submit(InvocationRequest(body: ByteBuffer())) }
    }

    @Test func trafficSharesFollowTheRoutingConfiguration() {
        typealias Routing = DeploymentPolicy.TrafficRouting
        let percent = { DeploymentPolicy.CapacitySize(isPercent: true, value: $0) }
        #expect(DeploymentSteps.shares(nil, instanceCount: 2) == [1])
        #expect(DeploymentSteps.shares(Routing(kind: .allAtOnce, waitIntervalSeconds: 5), instanceCount: 2) == [1])
        #expect(DeploymentSteps.shares(Routing(kind: .canary, waitIntervalSeconds: 5, step: percent(10)), instanceCount: 2) == [0.1, 1])
        #expect(
            DeploymentSteps.shares(
                Routing(kind: .canary, waitIntervalSeconds: 5, step: .init(isPercent: false, value: 1)), instanceCount: 4) == [0.25, 1])
        #expect(DeploymentSteps.shares(Routing(kind: .linear, waitIntervalSeconds: 5, step: percent(25)), instanceCount: 2) == [0.25, 0.5, 0.75, 1])
        #expect(DeploymentSteps.shares(Routing(kind: .linear, waitIntervalSeconds: 5, step: percent(100)), instanceCount: 2) == [1])
    }

    @Test func alarmsTripOnErrorRateAndLatency() {
        let stats = DeploymentStats()
        #expect(stats.tripped([.modelErrorRate(percent: 1)]) == nil)  // no requests yet
        for _ in 0..<99 { stats.record(succeeded: true, latency: .milliseconds(10)) }
        #expect(stats.tripped([.modelErrorRate(percent: 1), .modelLatencyP99(milliseconds: 250)]) == nil)
        stats.record(succeeded: false, latency: .milliseconds(10))
        #expect(stats.tripped([.modelErrorRate(percent: 1)]) == nil)  // exactly 1% is not more than 1%
        stats.record(succeeded: false, latency: .milliseconds(10))
        #expect(stats.tripped([.modelErrorRate(percent: 1)])?.hasPrefix("ModelErrorRate") == true)
        stats.reset()
        for _ in 0..<98 { stats.record(succeeded: true, latency: .milliseconds(10)) }
        for _ in 0..<2 { stats.record(succeeded: true, latency: .milliseconds(400)) }
        #expect(stats.tripped([.modelLatencyP99(milliseconds: 250)])?.hasPrefix("ModelLatencyP99 400.0 ms") == true)
    }
}
