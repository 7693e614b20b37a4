import Foundation
import Glibc
import OspreyCore

/// Runs a short helper command (a probe, `python -m venv`, `pip install`) and hands its output over line by line.
enum CommandRunner {
    /// Starts `arguments`, passes each line of its standard output and error (interleaved) to `onLine`, and returns how it
    /// ended. Throws when the command cannot be started.
    static func run(
        _ arguments: [String], environment: [String: String] = CommandRunner.inheritedEnvironment(), workingDirectory: String? = nil,
        onLine: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> ExitStatus {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            throw OspreyError(.internalError, "Cannot create a pipe: \(String(cString: strerror(errno))).")
        }
        // pipe2 is hidden from Swift; our own spawns close every descriptor above 2 anyway.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let pid: pid_t
        do {
            pid = try Spawner.spawn(
                SpawnRequest(arguments: arguments, environment: environment, workingDirectory: workingDirectory, output: .pipe(writeEnd: writeEnd))
            )
        } catch {
            close(readEnd)
            close(writeEnd)
            throw error
        }
        close(writeEnd)
        async let reading: Void = DedicatedThread.run("osprey-read-\(pid)") { readLines(from: readEnd, onLine: onLine) }
        let status = await Reaper.wait(for: pid)
        await reading
        return status
    }

    /// The server's own environment, for helper commands (never for user jobs).
    static func inheritedEnvironment() -> [String: String] { ProcessInfo.processInfo.environment }

    /// Reads until end of file, splitting on `\n`; closes `fd`.
    private static func readLines(from fd: Int32, onLine: @Sendable (String) -> Void) {
        defer { close(fd) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending.append(contentsOf: buffer[0..<count])
            while let newline = pending.firstIndex(of: 0x0A) {
                onLine(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
    }
}
