import Foundation
import OspreyCore
import Testing

@testable import OspreyServices

@Suite struct TrainingCapacityTests {
    static let gib: UInt64 = 1 << 30

    @Test func slotsComeFromCoresAndMemoryUnlessSet() throws {
        let capacity = TrainingCapacity(overrides: ["ml.c5.xlarge": 5], cores: 2, memoryBytes: 24 * Self.gib)
        #expect(capacity.slots("ml.m5.large") == 2)  // 2 vCPUs against 2 × 2 cores; 8 GiB fits 3 times
        #expect(capacity.slots("ml.r5.large") == 1)  // 16 GiB fits once
        #expect(capacity.slots("ml.m5.4xlarge") == 1)  // larger than the machine: still one at a time
        #expect(capacity.slots("ml.c5.xlarge") == 5)
        #expect(InstanceSize("ml.m5.2xlarge").vcpus == 8 && InstanceSize("ml.m5.2xlarge").memoryGiB == 32)
        #expect(InstanceSize("ml.t3.medium").vcpus == 1 && InstanceSize("ml.t3.medium").memoryGiB == 4)
        #expect(throws: OspreyError.self) { try capacity.check(type: "ml.m5.large", count: 3) }
        #expect(try TrainingSettings.parseSlots("ml.m5.large=4, ml.c5.xlarge=2") == ["ml.m5.large": 4, "ml.c5.xlarge": 2])
        #expect(throws: OspreyError.self) { try TrainingSettings.parseSlots("m5.large=4") }
        #expect(throws: OspreyError.self) { try TrainingSettings.parseSlots("ml.m5.large=0") }
    }

    @Test func jobsBeyondCapacityWaitInOrderAndCancellingGivesUpThePlace() async throws {
        let capacity = TrainingCapacity(overrides: ["ml.m5.large": 2], cores: 2, memoryBytes: 24 * Self.gib)
        let messages = Messages()
        try await capacity.acquire(type: "ml.m5.large", count: 2) { await messages.add($0) }
        #expect(await messages.all.isEmpty)
        let order = Messages()
        let first = Task { try await capacity.acquire(type: "ml.m5.large", count: 1) { await messages.add($0) }; await order.add("first") }
        while await messages.all.count < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let cancelled = Task { try await capacity.acquire(type: "ml.m5.large", count: 1) { await messages.add($0) } }
        while await messages.all.count < 2 { try await Task.sleep(for: .milliseconds(5)) }
        let second = Task { try await capacity.acquire(type: "ml.m5.large", count: 2) { await messages.add($0) }; await order.add("second") }
        while await messages.all.count < 3 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(await messages.all[0] == "Waiting for capacity: 2 of 2 ml.m5.large instances are in use and 0 jobs are ahead of this one")
        #expect(await messages.all[2].hasSuffix("2 jobs are ahead of this one"))
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        await capacity.release(type: "ml.m5.large", count: 2)
        try await first.value
        #expect(await order.all == ["first"])  // the second needs 2 and only 1 is free
        await capacity.release(type: "ml.m5.large", count: 1)
        try await second.value
        #expect(await order.all == ["first", "second"])
        #expect(await capacity.used("ml.m5.large") == 2)
    }
}

private actor Messages {
    var all: [String] = []
    func add(_ message: String) { all.append(message) }
}
