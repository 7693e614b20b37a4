import Foundation
import Glibc
import OspreyCore

/// Where a child's standard output and standard error go (standard input is always `/dev/null`).
enum ChildOutput: Sendable {
    /// Opened by the child itself with `O_APPEND`, so what it writes lands in the file whatever happens to us.
    case appendToFile(String)
    /// A pipe's write end that we own; the child gets a copy as fd 1 and 2.
    case pipe(writeEnd: Int32)
    case discard
}

/// A process to start.
struct SpawnRequest: Sendable {
    /// `argv`; the first element is looked up on the environment's `PATH` unless it holds a `/`.
    var arguments: [String]
    var environment: [String: String]
    var workingDirectory: String?
    var output: ChildOutput = .discard
    /// Make the child the leader of a new process group (its pgid is its pid), so one signal reaches all it starts.
    var newProcessGroup = true
    /// A descriptor of ours (above 2) that the child gets as its fd 3, for example one end of a socketpair; it stays open
    /// across the child's own `exec`s (the namespace prelude). Nil: the child has nothing above fd 2.
    var inheritedDescriptor: Int32?
}

/// Starts processes with `posix_spawn`: default signal dispositions and an empty signal mask in the child (Swift's
/// threads block signals such as SIGTERM, and a child would inherit that), every descriptor above 2 closed.
enum Spawner {
    private typealias AddPath = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    private typealias AddInt = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    // glibc has both since 2.34 but Swift's Glibc module hides GNU extensions; look them up once.
    private static let addChdir: AddPath? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddPath.self) }
    private static let addCloseFrom: AddInt? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddInt.self)
    }

    /// Starts the process and returns its pid. Throws `.validation` when the program cannot be found or run
    /// (`posix_spawn` reports exec failures), `.internalError` for anything else.
    static func spawn(_ request: SpawnRequest) throws -> pid_t {
        guard let program = request.arguments.first, !program.isEmpty else {
            throw OspreyError(.validation, "A job needs a command to run.")
        }
        guard let executable = resolve(program, path: request.environment["PATH"]) else {
            throw OspreyError(.validation, "Cannot find the program '\(program)' on PATH.")
        }
        if let directory = request.workingDirectory, addChdir == nil {
            throw OspreyError(.internalError, "This C library cannot set a child's working directory (\(directory)).")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        if let directory = request.workingDirectory, let addChdir {
            try check(directory.withCString { addChdir(&actions, $0) }, "chdir action")
        }
        try check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "stdin action")
        switch request.output {
        case .appendToFile(let path):
            try check(posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644), "stdout action")
            try check(posix_spawn_file_actions_adddup2(&actions, 1, 2), "stderr action")
        case .pipe(let writeEnd):
            try check(posix_spawn_file_actions_adddup2(&actions, writeEnd, 1), "stdout action")
            try check(posix_spawn_file_actions_adddup2(&actions, writeEnd, 2), "stderr action")
        case .discard:
            try check(posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0), "stdout action")
            try check(posix_spawn_file_actions_adddup2(&actions, 1, 2), "stderr action")
        }
        if let descriptor = request.inheritedDescriptor {
            guard descriptor > 2 else { throw OspreyError(.internalError, "Descriptor \(descriptor) cannot be passed as fd 3.") }
            // With descriptor == 3, glibc (2.29+) clears its close-on-exec flag, as POSIX asks.
            try check(posix_spawn_file_actions_adddup2(&actions, descriptor, 3), "inherited descriptor action")
        }
        if let addCloseFrom { try check(addCloseFrom(&actions, request.inheritedDescriptor == nil ? 3 : 4), "closefrom action") }

        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if request.newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            try check(posix_spawnattr_setpgroup(&attributes, 0), "process group")
        }
        try check(posix_spawnattr_setflags(&attributes, Int16(flags)), "spawn flags")
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        try check(posix_spawnattr_setsigmask(&attributes, &emptyMask), "signal mask")
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        try check(posix_spawnattr_setsigdefault(&attributes, &defaults), "signal defaults")

        let argv = request.arguments.map { strdup($0) } + [nil]
        let envp = request.environment.map { strdup($0.key + "=" + $0.value) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            let reason = String(cString: strerror(result))
            let code: OspreyError.Code = [ENOENT, EACCES, ENOEXEC, ENOTDIR].contains(result) ? .validation : .internalError
            throw OspreyError(code, "Cannot start '\(program)': \(reason).")
        }
        return pid
    }

    /// The executable for `program`: itself when it holds a `/`, else the first executable file of that name on `path`.
    static func resolve(_ program: String, path: String?) -> String? {
        if program.contains("/") { return program }
        let directories = (path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":")
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + program
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else {
            throw OspreyError(.internalError, "posix_spawn set-up failed (\(what)): \(String(cString: strerror(result))).")
        }
    }
}
