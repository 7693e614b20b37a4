import Foundation
import OspreyCore

/// Instances of each instance type that may run at once on this machine; jobs beyond it wait, first come first served.
///
/// A type's default is what the machine holds of it: its vCPUs against twice the machine's cores (local jobs rarely use
/// their cores fully) and its memory against the machine's, at least one.
actor TrainingCapacity {
    private let overrides: [String: Int]
    private let cores: Int
    private let memoryBytes: UInt64
    private var inUse: [String: Int] = [:]
    private var waiters: [String: [(count: Int, continuation: CheckedContinuation<Void, any Error>, id: UInt64)]] = [:]
    private var nextId: UInt64 = 0

    init(overrides: [String: Int], cores: Int = ProcessInfo.processInfo.activeProcessorCount,
         memoryBytes: UInt64 = ProcessInfo.processInfo.physicalMemory) {
        self.overrides = overrides
        self.cores = cores
        self.memoryBytes = memoryBytes
    }

    /// How many instances of `type` may run at once.
    nonisolated func slots(_ type: String) -> Int {
        if let slots = overrides[type] { return slots }
        let size = InstanceSize(type)
        let byCores = (2 * cores) / size.vcpus
        let byMemory = Int(memoryBytes / (UInt64(size.memoryGiB) << 30))
        return max(1, min(byCores, byMemory))
    }

    /// Throws `.limitExceeded` (SageMaker's ResourceLimitExceeded) for a request that could never run here.
    nonisolated func check(type: String, count: Int) throws {
        let slots = slots(type)
        guard count <= slots else {
            throw OspreyError(
                .limitExceeded,
                "The account-level service limit '\(type) for training job usage' is \(slots) Instances, with current utilization of "
                    + "0 Instances and a request delta of \(count) Instances. Set more with the server's training-slots setting.")
        }
    }

    /// Instances of `type` running now.
    func used(_ type: String) -> Int { inUse[type] ?? 0 }

    /// Takes `count` instances of `type` at once, or returns the message to show while waiting and waits (in order) when
    /// they are busy. Cancellation gives up the place in line.
    func acquire(type: String, count: Int, whileWaiting: @Sendable (String) async -> Void) async throws {
        if waiters[type, default: []].isEmpty, used(type) + count <= slots(type) {
            inUse[type, default: 0] += count
            return
        }
        await whileWaiting(
            "Waiting for capacity: \(used(type)) of \(slots(type)) \(type) instances are in use and "
                + "\(waiters[type, default: []].count) jobs are ahead of this one")
        nextId += 1
        let id = nextId
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters[type, default: []].append((count, continuation, id))
                admit(type)
            }
        } onCancel: {
            Task { await self.cancel(id, type: type) }
        }
    }

    func release(type: String, count: Int) {
        inUse[type] = max(0, used(type) - count)
        admit(type)
    }

    private func admit(_ type: String) {
        while let first = waiters[type]?.first, used(type) + first.count <= slots(type) {
            waiters[type]?.removeFirst()
            inUse[type, default: 0] += first.count
            first.continuation.resume()
        }
    }

    private func cancel(_ id: UInt64, type: String) {
        guard let index = waiters[type]?.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters[type]!.remove(at: index)
        waiter.continuation.resume(throwing: CancellationError())
        admit(type)
    }
}

/// vCPUs and memory of a SageMaker instance type: from its size (`large` = 2 vCPUs, `xlarge` = 4, `Nxlarge` = 4N) and its
/// family's memory per vCPU (c: 2 GiB, m: 4, r: 8, others 4).
struct InstanceSize: Sendable, Equatable {
    var vcpus: Int
    var memoryGiB: Int

    init(_ type: String) {
        let parts = type.split(separator: ".")
        let family = parts.count > 1 ? parts[1] : "m5"
        let size = parts.count > 2 ? String(parts[2]) : "large"
        switch size {
        case "medium": vcpus = 1
        case "large": vcpus = 2
        case "xlarge": vcpus = 4
        default: vcpus = 4 * (Int(size.dropLast("xlarge".count)) ?? 1)
        }
        let perVCPU: Int
        switch family.first {
        case "c": perVCPU = 2
        case "r", "x": perVCPU = 8
        default: perVCPU = 4
        }
        memoryGiB = vcpus * perVCPU
    }
}
