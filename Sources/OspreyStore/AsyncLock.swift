/// A first-come, first-served lock for async code: holders may suspend while holding it.
///
/// Waiting for the lock ignores cancellation, so a holder's work (a database transaction) always runs to its end.
actor AsyncLock {
    private var isLocked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var nextWaiter = 0

    init() {}

    /// Runs `body` while holding the lock.
    nonisolated func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await lock()
        do {
            let value = try await body()
            await unlock()
            return value
        } catch {
            await unlock()
            throw error
        }
    }

    private func lock() async {
        guard isLocked else {
            isLocked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func unlock() {
        guard nextWaiter < waiters.count else {
            waiters.removeAll(keepingCapacity: true)
            nextWaiter = 0
            isLocked = false
            return
        }
        // Ownership passes straight to the next waiter: the lock stays taken.
        let waiter = waiters[nextWaiter]
        nextWaiter += 1
        if nextWaiter >= 64 && nextWaiter * 2 >= waiters.count {
            waiters.removeFirst(nextWaiter)
            nextWaiter = 0
        }
        waiter.resume()
    }
}
