import AsyncHTTPClient
import Foundation
import OspreyArtifacts
import OspreyCore
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real `osprey server` process on a free loopback port, with its own data folder, stopped with SIGTERM.
final class OspreyTestServer: Sendable {
    static let accessKeyId = "AKIDOSPREYTEST000001"
    static let secretAccessKey = "ospreyTestSecret/0123456789abcdefghij+KL"

    /// The server the enclosing `.ospreyServer` suite started.
    @TaskLocal static var current: OspreyTestServer?

    /// The `osprey` binary built beside the test bundle; nil when it is not built.
    static let binary: String? = {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((exe as NSString).deletingLastPathComponent)
        }
        candidates.append(((CommandLine.arguments.first ?? "") as NSString).deletingLastPathComponent)
        // On macOS the bundle's executable sits three folders below the bin folder.
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path)
        return candidates.map { $0 + "/osprey" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    let process: Process
    let port: Int
    let dataDir: String
    let logPath: String

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// A client signed with the server's root key.
    func client(httpClient: HTTPClient = .shared) -> S3Client {
        S3Client(
            endpoint: endpoint, region: "us-east-1", accessKeyId: Self.accessKeyId, secretAccessKey: Self.secretAccessKey,
            httpClient: httpClient
        )
    }

    private init(process: Process, port: Int, dataDir: String, logPath: String) {
        self.process = process
        self.port = port
        self.dataDir = dataDir
        self.logPath = logPath
    }

    /// Starts the server and waits until `GET /healthz` answers 200.
    static func start() async throws -> OspreyTestServer {
        guard let binary else { throw OspreyError(.unavailable, "The osprey binary is not built.") }
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-artifacts-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let logPath = dataDir + "/server.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["server", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir + "/data"]
        var environment = ProcessInfo.processInfo.environment
        environment["OSPREY_ROOT_ACCESS_KEY_ID"] = accessKeyId
        environment["OSPREY_ROOT_SECRET_ACCESS_KEY"] = secretAccessKey
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let server = OspreyTestServer(process: process, port: port, dataDir: dataDir, logPath: logPath)
        do {
            try await server.waitUntilHealthy()
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    private func waitUntilHealthy() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw OspreyError(.unavailable, "osprey server exited with \(process.terminationStatus) before answering: \(logTail())")
            }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: endpoint + "/healthz"), timeout: .seconds(1)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                if response.status.code == 200 { return }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw OspreyError(.unavailable, "osprey server did not answer GET /healthz within 60 s: \(logTail())")
    }

    /// Sends SIGTERM, waits for the process to exit (SIGKILL after 20 s) and removes the data folder.
    func stop() async {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            Issue.record("osprey server ignored SIGTERM for 20 s; killing it. Log: \(logTail())")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDir)
    }

    /// The end of the server's log, for failure messages.
    func logTail() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(text.suffix(4000))
    }

    /// A port that was free a moment ago: bind port 0 on loopback, read the port, close.
    private static func freePort() throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw OspreyError(.internalError, "socket() failed: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw OspreyError(.internalError, "Cannot bind a loopback port: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Runs a suite once inside a fresh `osprey server`, available as `OspreyTestServer.current`.
struct OspreyServerTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await OspreyTestServer.start()
        do {
            try await OspreyTestServer.$current.withValue(server) { try await function() }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

extension Trait where Self == OspreyServerTrait {
    /// Starts an `osprey server` around the suite.
    static var ospreyServer: Self { Self() }
}

/// The tests that need a real server; nested suites share one server process.
@Suite(.ospreyServer, .enabled(if: OspreyTestServer.binary != nil, "needs the osprey binary (swift build) beside the tests"))
struct AgainstOspreyServer {
    /// The running server; fails the test when called outside the suite.
    static func server() throws -> OspreyTestServer {
        try #require(OspreyTestServer.current, "no osprey server is running for this test")
    }

    /// A bucket name unique to one test.
    static func bucketName(_ hint: String) -> String {
        "\(hint)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }
}
