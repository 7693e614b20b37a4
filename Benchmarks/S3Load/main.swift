// A compiled S3 load generator for the small-object benchmark (Benchmarks/run.sh), so that the client is not what limits
// ops/s. Each target gets the same load: `--threads` concurrent clients, each looping PUT of a fresh object then GET of it
// (body compared), over one connection each, SigV4-signed with Osprey's own S3 client (UNSIGNED-PAYLOAD, as boto3 over
// https). After `--warmup` seconds a window of `--duration` seconds opens; a pair counts when both its ops started and ended
// inside it. Prints ops/s, p50/p99 per op, the server's CPU per op (`--pid name=PID`) and each target's ratio to the first.
//
//   osprey-s3-load --target osprey=http://127.0.0.1:P1 --target moto=http://127.0.0.1:P2 [--pid osprey=PID] \
//       [--threads 16] [--duration 15] [--warmup 3] [--rounds 2] [--size 1024] [--json FILE]
//
// Credentials: OSPREY_ROOT_ACCESS_KEY_ID / OSPREY_ROOT_SECRET_ACCESS_KEY. Nothing here asserts a number.
import AsyncHTTPClient
import Foundation
import NIOCore
import OspreyArtifacts

struct Options {
    var targets: [(name: String, url: String)] = []
    var pids: [String: Int32] = [:]
    var threads = 16
    var duration = 15.0
    var warmup = 3.0
    var rounds = 1
    var size = 1024
    var json: String?

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw LoadError("\(flag) needs a value") }
            return next
        }
        func pair(_ flag: String) throws -> (String, String) {
            let text = try value(flag)
            guard let equals = text.firstIndex(of: "=") else { throw LoadError("\(flag) takes name=value, got \(text)") }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--target": targets.append(try pair(flag))
            case "--pid":
                let (name, pid) = try pair(flag)
                guard let number = Int32(pid) else { throw LoadError("--pid \(name)=\(pid): not a process id") }
                pids[name] = number
            case "--threads": threads = Int(try value(flag)) ?? threads
            case "--duration": duration = Double(try value(flag)) ?? duration
            case "--warmup": warmup = Double(try value(flag)) ?? warmup
            case "--rounds": rounds = Int(try value(flag)) ?? rounds
            case "--size": size = Int(try value(flag)) ?? size
            case "--json": json = try value(flag)
            default: throw LoadError("unknown argument \(flag)")
            }
        }
        guard !targets.isEmpty else { throw LoadError("give at least one --target name=http://host:port") }
    }
}

struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One PUT+GET pair: when each op started and ended, in seconds since the round began.
struct Pair {
    var putStart: Double
    var putEnd: Double
    var getEnd: Double
}

struct RoundResult: Codable {
    var target: String
    var pairsPerSecond: Double
    var opsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var putP50Milliseconds: Double
    var getP50Milliseconds: Double
    var serverCPUMicrosecondsPerOp: Double?
    var clientCPUMicrosecondsPerOp: Double
    var errors: Int
}

/// CPU seconds (user + system) a process has used so far, from /proc.
func processCPUSeconds(_ pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // After the command: state is field 3; utime and stime are fields 14 and 15.
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func selfCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

struct OneBufferSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer
    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}

func measure(target: (name: String, url: String), round: Int, options: Options, http: HTTPClient) async throws -> RoundResult {
    let environment = ProcessInfo.processInfo.environment
    let client = S3Client(
        endpoint: target.url, region: "us-east-1", accessKeyId: environment["OSPREY_ROOT_ACCESS_KEY_ID"] ?? "AKIDOSPREYBENCH00001",
        secretAccessKey: environment["OSPREY_ROOT_SECRET_ACCESS_KEY"] ?? "", httpClient: http
    )
    let bucket = "bench-load-\(round)"
    if !(try await client.headBucket(bucket)) { try await client.createBucket(bucket) }
    let payload = [UInt8]((0..<options.size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
    let begin = ContinuousClock.now
    let seconds: @Sendable () -> Double = { (ContinuousClock.now - begin) / .seconds(1) }
    let end = options.warmup + options.duration
    let pid = options.pids[target.name]
    // CPU readings at the window's edges, taken by a timer task.
    async let edges: (server: Double?, client: Double, serverEnd: Double?, clientEnd: Double) = {
        try await Task.sleep(for: .seconds(options.warmup))
        let server = pid.flatMap(processCPUSeconds)
        let client = selfCPUSeconds()
        try await Task.sleep(for: .seconds(options.duration))
        return (server, client, pid.flatMap(processCPUSeconds), selfCPUSeconds())
    }()
    let results = try await withThrowingTaskGroup(of: ([Pair], Int).self) { group in
        for thread in 0..<options.threads {
            group.addTask {
                var pairs: [Pair] = []
                var errors = 0
                var index = 0
                while seconds() < end {
                    index += 1
                    let key = "r\(round)/t\(thread)/\(index)"
                    let putStart = seconds()
                    do {
                        try await client.putObject(
                            bucket: bucket, key: key, length: Int64(payload.count), body: OneBufferSequence(buffer: ByteBuffer(bytes: payload))
                        )
                        let putEnd = seconds()
                        var received: [UInt8] = []
                        try await client.getObject(bucket: bucket, key: key) { received += $0.readableBytesView }
                        guard received == payload else { throw LoadError("GET \(key) returned other bytes") }
                        pairs.append(Pair(putStart: putStart, putEnd: putEnd, getEnd: seconds()))
                    } catch {
                        errors += 1
                        if errors == 1 { print("  \(target.name): \(error)") }
                    }
                }
                return (pairs, errors)
            }
        }
        var all: ([Pair], Int) = ([], 0)
        for try await (pairs, errors) in group {
            all.0 += pairs
            all.1 += errors
        }
        return all
    }
    let cpu = try await edges
    let inWindow = results.0.filter { $0.putStart >= options.warmup && $0.getEnd <= end }
    let puts = inWindow.map { ($0.putEnd - $0.putStart) * 1000 }.sorted()
    let gets = inWindow.map { ($0.getEnd - $0.putEnd) * 1000 }.sorted()
    let ops = (puts + gets).sorted()
    let opsPerSecond = Double(ops.count) / options.duration
    let opsInWindow = Double(max(ops.count, 1))
    let serverCPU = cpu.server.flatMap { start in cpu.serverEnd.map { ($0 - start) / opsInWindow * 1e6 } }
    return RoundResult(
        target: target.name, pairsPerSecond: Double(inWindow.count) / options.duration, opsPerSecond: opsPerSecond,
        p50Milliseconds: percentile(ops, 0.5), p99Milliseconds: percentile(ops, 0.99), putP50Milliseconds: percentile(puts, 0.5),
        getP50Milliseconds: percentile(gets, 0.5), serverCPUMicrosecondsPerOp: serverCPU,
        clientCPUMicrosecondsPerOp: (cpu.clientEnd - cpu.client) / opsInWindow * 1e6, errors: results.1
    )
}

func run() async throws {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.threads)
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    print(
        "osprey-s3-load: \(options.size) B objects, \(options.threads) concurrent clients in one compiled process, warm-up "
            + "\(options.warmup) s, window \(options.duration) s, \(options.rounds) round(s)"
    )
    var best: [String: RoundResult] = [:]
    var rounds: [RoundResult] = []
    for round in 1...options.rounds {
        for target in options.targets {
            let result = try await measure(target: target, round: round, options: options, http: http)
            rounds.append(result)
            let server = result.serverCPUMicrosecondsPerOp.map { String(format: ", server CPU %.0f µs/op", $0) } ?? ""
            let figures = String(
                format: "%8.1f ops/s  p50 %6.2f ms  p99 %7.2f ms  (PUT p50 %.2f, GET p50 %.2f)", result.opsPerSecond,
                result.p50Milliseconds, result.p99Milliseconds, result.putP50Milliseconds, result.getP50Milliseconds
            )
            let client = String(format: "client CPU %.0f µs/op", result.clientCPUMicrosecondsPerOp)
            print(
                "  round \(round) \(result.target.padding(toLength: 8, withPad: " ", startingAt: 0)) \(figures)\(server), \(client), errors \(result.errors)"
            )
            if result.opsPerSecond > best[target.name]?.opsPerSecond ?? -1 { best[target.name] = result }
        }
    }
    if let reference = best[options.targets[0].name] {
        for target in options.targets.dropFirst() {
            guard let other = best[target.name] else { continue }
            let ratio = String(
                format: "%.1f ops/s against %.1f ops/s: ratio %.2fx", reference.opsPerSecond, other.opsPerSecond,
                reference.opsPerSecond / other.opsPerSecond)
            print("  best rounds, \(reference.target) against \(other.target): \(ratio)")
        }
    }
    try await http.shutdown()
    if let path = options.json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(["rounds": rounds, "best": Array(best.values)]).write(to: URL(fileURLWithPath: path))
    }
}

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("osprey-s3-load: \(error)\n".utf8))
    exit(1)
}
