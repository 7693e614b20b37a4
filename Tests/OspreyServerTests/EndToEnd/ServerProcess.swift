import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the end-to-end tests find their parts: the `osprey` binary, the venv's python, the scenario scripts.
///
/// The venv comes from `scripts/python-env.sh` (`OSPREY_TEST_PYTHON` overrides it); without one the suites are
/// disabled. The binary is the `osprey` beside the test executable (`swift build --build-tests` builds both into
/// one bin folder), or `OSPREY_BIN`.
enum EndToEnd {
    static let sourceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let scriptsFolder = sourceFolder.appendingPathComponent("python")
    static let repoRoot = sourceFolder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let environment = ProcessInfo.processInfo.environment

    /// The venv's python, or nil when there is none (the suites are then disabled).
    static let python: String? = {
        if let given = environment["OSPREY_TEST_PYTHON"], !given.isEmpty {
            return FileManager.default.isExecutableFile(atPath: given) ? given : nil
        }
        let venv = repoRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }()

    static var isEnabled: Bool { python != nil }

    /// `OSPREY_TEST_POSTGRES_URL`, when set and non-empty.
    static let postgresURL: String? = {
        guard let url = environment["OSPREY_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }()

    /// `psql` on the PATH, used to make a fresh database per PostgreSQL test.
    static let psql: String? = which("psql")

    static var postgresAvailable: Bool { postgresURL != nil && psql != nil }

    /// The `osprey` executable that sits beside the running test binary, else `OSPREY_BIN`.
    static func ospreyBinary() throws -> String {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("osprey").path)
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("osprey").path)
        if let given = environment["OSPREY_BIN"], !given.isEmpty { candidates.append(given) }
        for candidate in candidates {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isFolder), !isFolder.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        throw HarnessError("no osprey executable; looked at \(candidates) (build with `swift build --build-tests` or set OSPREY_BIN)")
    }

    static func which(_ name: String) -> String? {
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// How many scenarios run at once (each has its own server and Python process); 2 cores, so few.
    static let parallelism = max(1, Int(environment["OSPREY_E2E_PARALLEL"] ?? "") ?? 3)
    static let gate = Gate(limit: parallelism)

    /// Starts a server (SQLite by default), runs `body`, then stops it and removes its folder. A failure
    /// anywhere is recorded with the server's log.
    @discardableResult
    static func withServer<T>(
        _ label: String,
        database: String? = nil,
        settings: [String: String] = [:],
        _ body: (ServerProcess) async throws -> T
    ) async throws -> T {
        await gate.acquire()
        let server: ServerProcess
        do {
            server = try ServerProcess(label: label, database: database, settings: settings)
        } catch {
            await gate.release()
            throw error
        }
        do {
            try await server.start()
            let result = try await body(server)
            let reason = await server.stop()
            #expect(reason == .exit(0), "osprey server did not exit 0 on SIGTERM: \(reason)\n\(server.logTail())")
            server.removeFolder()
            await gate.release()
            return result
        } catch {
            let log = server.logTail()
            server.killIfRunning()
            server.removeFolder()
            await gate.release()
            if error is HarnessError { throw error }  // already carries the server's log
            throw HarnessError("\(label): \(error)\n--- server log (tail) ---\n\(log)")
        }
    }

    /// Runs a scenario script against a fresh server and fails the test with its output when it fails.
    /// `settings` are server settings by their `OSPREY_*` variable names.
    static func scenario(_ script: String, _ arguments: [String] = [], settings: [String: String] = [:]) async throws {
        try await withServer(script, settings: settings) { server in
            try await server.runPythonExpectingSuccess(script, arguments)
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A counting semaphore for async code.
actor Gate {
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func acquire() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// What a child process did.
struct ProcessOutcome: Sendable, CustomStringConvertible {
    var ending: ChildProcess.Ending
    var stdout: String
    var stderr: String

    var succeeded: Bool { ending == .exited(0) }

    var description: String {
        "\(ending)\n--- stdout (tail) ---\n\(stdout.suffix(6000))\n--- stderr (tail) ---\n\(stderr.suffix(6000))"
    }
}

/// How a server process ended.
enum ServerExit: Equatable, Sendable, CustomStringConvertible {
    case exit(Int32)
    case signal(Int32)
    case notRunning

    var description: String {
        switch self {
        case .exit(let code): "exit status \(code)"
        case .signal(let number): "killed by signal \(number)"
        case .notRunning: "not running"
        }
    }
}

/// One real `osprey server` on a free loopback port with its own data folder and root keys.
///
/// `restart()` starts it again on the same port and data folder; `kill9()` is a crash, `stop()` a SIGTERM.
final class ServerProcess: @unchecked Sendable {
    let label: String
    let root: URL
    let dataDir: URL
    let scratch: URL
    let port: Int
    let database: String?
    /// Extra `OSPREY_*` variables for the server.
    let settings: [String: String]
    let accessKeyID: String
    let secretAccessKey: String
    let binary: String

    var endpoint: String { "http://127.0.0.1:\(port)" }

    private let lock = NSLock()
    private var process: ChildProcess?
    private var launches = 0

    init(label: String, database: String? = nil, settings: [String: String] = [:]) throws {
        self.label = label
        self.settings = settings
        self.binary = try EndToEnd.ospreyBinary()
        let id = UUID().uuidString.lowercased().prefix(8)
        root = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-e2e-\(id)")
        dataDir = root.appendingPathComponent("data")
        scratch = root.appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("home"), withIntermediateDirectories: true)
        port = try Self.freePort()
        self.database = database
        accessKeyID = "AKIAE2E" + Self.randomString(13, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        secretAccessKey = Self.randomString(40, alphabet: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/")
    }

    deinit { killIfRunning() }

    /// Starts the server and waits (up to 60 s) for `GET /healthz` to answer 200.
    func start() async throws {
        var arguments = ["server", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir.path]
        if let database { arguments += ["--database", database] }
        var environment = EndToEnd.environment
        environment["OSPREY_ROOT_ACCESS_KEY_ID"] = accessKeyID
        environment["OSPREY_ROOT_SECRET_ACCESS_KEY"] = secretAccessKey
        environment.merge(settings) { $1 }
        let log = lock.withLock { () -> URL in
            launches += 1
            return root.appendingPathComponent("server-\(launches).log")
        }
        let child = try ChildProcess(executable: binary, arguments: arguments, environment: environment, stdout: log, stderr: log)
        lock.withLock { process = child }

        let command = ([binary] + arguments).joined(separator: " ")
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let ending = child.ending {
                throw HarnessError("osprey server ended during start-up (\(ending)): \(command)\n\(logTail())")
            }
            if Self.httpStatus(port: port, path: "/healthz") == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        killIfRunning()
        throw HarnessError("GET /healthz did not answer 200 within 60 s: \(command)\n\(logTail())")
    }

    /// SIGTERM, then waits for the process to end (SIGKILL after 30 s). Returns how it ended.
    @discardableResult
    func stop() async -> ServerExit {
        guard let child = lock.withLock({ process }) else { return .notRunning }
        if child.isRunning {
            child.signal(SIGTERM)
            if await child.wait(timeout: .seconds(30)) == nil {
                Issue.record("osprey server ignored SIGTERM for 30 s; killing it\n\(logTail())")
                child.signal(SIGKILL, group: true)
                child.waitBlocking()
            }
        }
        return Self.exit(child.ending)
    }

    /// `kill -9`: a crash. Waits until the process is gone.
    func kill9() async {
        guard let child = lock.withLock({ process }), child.isRunning else { return }
        child.signal(SIGKILL)
        _ = await child.wait(timeout: .seconds(30))
    }

    /// Starts the server again on the same port and data folder.
    func restart() async throws {
        if let child = lock.withLock({ process }), child.isRunning {
            await stop()
        }
        try await start()
    }

    /// SIGKILL without waiting for anything else (for clean-up paths).
    func killIfRunning() {
        guard let child = lock.withLock({ process }), child.isRunning else { return }
        child.signal(SIGKILL, group: true)
        child.waitBlocking()
    }

    /// Removes the server's folder unless `OSPREY_E2E_KEEP` is set.
    func removeFolder() {
        if EndToEnd.environment["OSPREY_E2E_KEEP"] != nil {
            print("[\(label)] kept \(root.path)")
            return
        }
        try? FileManager.default.removeItem(at: root)
    }

    /// The last part of every server log so far (all launches).
    func logTail(_ limit: Int = 6000) -> String {
        let count = lock.withLock { launches }
        var text = ""
        for n in 1...max(count, 1) {
            let url = root.appendingPathComponent("server-\(n).log")
            guard let data = try? Data(contentsOf: url) else { continue }
            text += "[launch \(n)]\n" + String(decoding: data, as: UTF8.self)
        }
        return String(text.suffix(limit))
    }

    private static func exit(_ ending: ChildProcess.Ending?) -> ServerExit {
        switch ending {
        case .exited(let code): .exit(code)
        case .signalled(let number): .signal(number)
        case nil: .notRunning
        }
    }

    // MARK: Python

    /// The environment a scenario sees: the server's endpoint and keys, no ~/.aws, the venv first on PATH.
    func pythonEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = EndToEnd.environment.filter { !$0.key.hasPrefix("AWS_") && $0.key != "BOTO_CONFIG" }
        let python = EndToEnd.python ?? "python3"
        let venvBin = URL(fileURLWithPath: python).deletingLastPathComponent().path
        environment["PATH"] = venvBin + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["HOME"] = scratch.appendingPathComponent("home").path
        environment["AWS_ENDPOINT_URL"] = endpoint
        environment["AWS_ACCESS_KEY_ID"] = accessKeyID
        environment["AWS_SECRET_ACCESS_KEY"] = secretAccessKey
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        environment["AWS_REGION"] = "us-east-1"
        environment["AWS_CONFIG_FILE"] = "/dev/null"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        environment["AWS_PAGER"] = ""
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["OSPREY_DATA_DIR"] = dataDir.path
        environment["OSPREY_E2E_SCRATCH"] = scratch.path
        environment["OSPREY_BIN"] = binary
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Starts `python/<script>` with the venv's python; `wait` it for the outcome.
    func launchPython(_ script: String, _ arguments: [String] = [], environment extra: [String: String] = [:]) throws -> PythonRun {
        guard let python = EndToEnd.python else { throw HarnessError("no venv python (run scripts/python-env.sh)") }
        let stem = "\(script)-\(UUID().uuidString.prefix(6))"
        return try PythonRun(
            python: python,
            script: EndToEnd.scriptsFolder.appendingPathComponent(script).path,
            arguments: arguments,
            environment: pythonEnvironment(extra),
            stdoutURL: root.appendingPathComponent("\(stem).out"),
            stderrURL: root.appendingPathComponent("\(stem).err")
        )
    }

    /// Runs a scenario to its end and records a test failure (with its output and the server's log) when it
    /// exits non-zero. Prints what the scenario checked.
    @discardableResult
    func runPythonExpectingSuccess(
        _ script: String,
        _ arguments: [String] = [],
        environment extra: [String: String] = [:],
        timeout: Duration = .seconds(600)
    ) async throws -> ProcessOutcome {
        let run = try launchPython(script, arguments, environment: extra)
        let outcome = await run.wait(timeout: timeout)
        report(script, arguments, outcome)
        return outcome
    }

    func report(_ script: String, _ arguments: [String], _ outcome: ProcessOutcome) {
        let title = ([script] + arguments).joined(separator: " ")
        let lines = outcome.stdout.split(separator: "\n").map { "  [\(title)] \($0)" }.joined(separator: "\n")
        print("[\(label)] \(title): \(outcome.succeeded ? "passed" : "FAILED")\n\(lines)")
        if !outcome.succeeded {
            Issue.record("\(title) failed: \(outcome)\n--- server log (tail) ---\n\(logTail())")
        }
    }

    // MARK: Sockets

    /// Binds port 0 on 127.0.0.1, reads the port the kernel chose, closes it.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind() failed: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw HarnessError("getsockname() failed: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A plain `GET path` on 127.0.0.1:port; the status code, or nil when nothing answered (2 s timeout).
    static func httpStatus(port: Int, path: String) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !received.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        // "HTTP/1.1 200 OK"
        let line = String(decoding: received.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return nil }
        return Int(parts[1])
    }

    static func randomString(_ length: Int, alphabet: String) -> String {
        let characters = Array(alphabet)
        return String((0..<length).map { _ in characters.randomElement()! })
    }
}

/// A running Python scenario; its output goes to files (no pipe can fill up and stall it).
final class PythonRun: Sendable {
    let child: ChildProcess
    let stdoutURL: URL
    let stderrURL: URL

    init(python: String, script: String, arguments: [String], environment: [String: String], stdoutURL: URL, stderrURL: URL) throws {
        self.stdoutURL = stdoutURL
        self.stderrURL = stderrURL
        child = try ChildProcess(
            executable: python, arguments: [script] + arguments, environment: environment, stdout: stdoutURL, stderr: stderrURL
        )
    }

    var isRunning: Bool { child.isRunning }

    /// Waits for the script to end (its whole process group is killed after `timeout`) and returns its outcome.
    func wait(timeout: Duration = .seconds(600)) async -> ProcessOutcome {
        await child.outcome(timeout: timeout, stdout: stdoutURL, stderr: stderrURL)
    }
}

/// A fresh PostgreSQL database per test, made and dropped with `psql` on `OSPREY_TEST_POSTGRES_URL`.
struct ScratchDatabase {
    let name: String
    let url: String
    private let adminURL: String

    init(adminURL: String) async throws {
        guard EndToEnd.psql != nil else { throw HarnessError("psql is not installed") }
        self.adminURL = adminURL
        name = "osprey_e2e_" + ServerProcess.randomString(12, alphabet: "abcdefghijklmnopqrstuvwxyz0123456789")
        guard var components = URLComponents(string: adminURL) else { throw HarnessError("cannot parse OSPREY_TEST_POSTGRES_URL") }
        components.path = "/" + name
        guard let url = components.string else { throw HarnessError("cannot build a database URL from OSPREY_TEST_POSTGRES_URL") }
        self.url = url
        let outcome = await Self.psql(adminURL, "create database \"\(name)\"")
        guard outcome.succeeded else { throw HarnessError("psql could not create database \(name): \(outcome)") }
    }

    func drop() async {
        let outcome = await Self.psql(adminURL, "drop database if exists \"\(name)\" with (force)")
        if !outcome.succeeded { print("[postgres] could not drop \(name): \(outcome)") }
    }

    static func psql(_ url: String, _ sql: String) async -> ProcessOutcome {
        let folder = FileManager.default.temporaryDirectory
        let stem = "osprey-e2e-psql-\(UUID().uuidString.prefix(8))"
        let out = folder.appendingPathComponent("\(stem).out")
        let err = folder.appendingPathComponent("\(stem).err")
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        do {
            let child = try ChildProcess(
                executable: EndToEnd.psql ?? "/usr/bin/psql",
                arguments: [url, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-c", sql],
                environment: EndToEnd.environment, stdout: out, stderr: err
            )
            return await child.outcome(timeout: .seconds(60), stdout: out, stderr: err)
        } catch {
            return ProcessOutcome(ending: .exited(-1), stdout: "", stderr: "\(error)")
        }
    }
}
