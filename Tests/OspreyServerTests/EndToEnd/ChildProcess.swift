import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process started with `posix_spawn`, with a clean signal mask and default signal handlers.
///
/// Foundation's `Process` passes on the signal mask of the thread that starts it, and Swift concurrency's
/// worker threads block most signals: a server started that way never sees SIGTERM. Here every child gets an
/// empty mask, default dispositions, its own process group (so a timeout can stop a script and everything it
/// started), standard input from /dev/null and its output in files, and no other inherited descriptors.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// How the process ended.
    enum Ending: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signalled(let number): "killed by signal \(number)"
            }
        }
    }

    init(executable: String, arguments: [String], environment: [String: String], stdout: URL, stderr: URL) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if let closeFrom = Self.closeFrom {
            _ = closeFrom(&actions, 3)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw HarnessError("posix_spawn \(executable) failed: \(String(cString: strerror(result)))")
        }
        pid = child
    }

    deinit {
        if ending == nil {
            kill(-pid, SIGKILL)
            waitBlocking()
        }
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), looked up at run time: Swift does not import
    /// GNU extensions.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// How it ended, or nil while it runs (reaps it when it has ended).
    var ending: Ending? {
        lock.withLock {
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            }
            return status.map(Self.decode)
        }
    }

    var isRunning: Bool { ending == nil }

    /// Sends `signal` to the process (or to its whole process group).
    func signal(_ number: Int32, group: Bool = false) {
        guard isRunning else { return }
        kill(group ? -pid : pid, number)
    }

    /// Polls until the process ends; nil when `timeout` passed first.
    func wait(timeout: Duration) async -> Ending? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let ending { return ending }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Blocks until the process ends (after a SIGKILL this is immediate).
    func waitBlocking() {
        lock.withLock {
            guard status == nil else { return }
            var raw: Int32 = 0
            while true {
                let result = waitpid(pid, &raw, 0)
                if result == pid {
                    status = raw
                    return
                }
                if result == -1 && errno != EINTR { return }
            }
        }
    }

    private static func decode(_ raw: Int32) -> Ending {
        let signal = raw & 0x7f
        return signal == 0 ? .exited((raw >> 8) & 0xff) : .signalled(signal)
    }
}

extension ChildProcess {
    /// Waits up to `timeout` (then kills the whole process group) and returns how it ended with what it wrote to the files
    /// it was started with.
    func outcome(timeout: Duration, stdout: URL, stderr: URL) async -> ProcessOutcome {
        var ending = await wait(timeout: timeout)
        var note = ""
        if ending == nil {
            signal(SIGKILL, group: true)
            waitBlocking()
            ending = self.ending
            note = "\n[harness] killed after \(timeout)"
        }
        return ProcessOutcome(
            ending: ending ?? .signalled(SIGKILL),
            stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
            stderr: ((try? String(contentsOf: stderr, encoding: .utf8)) ?? "") + note
        )
    }
}
