import Foundation

/// Runs blocking work (`waitpid`, `read`, `flock`) on a thread of its own, so it never holds one of the few cooperative
/// threads that every `async` function shares.
enum DedicatedThread {
    static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = name
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    static func runThrowing<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, any Error> = await run(name) { Result { try body() } }
        return try result.get()
    }
}
