import Foundation
import Glibc
import OspreyCore
import Testing

@testable import OspreyCompute

@Suite(.timeLimit(.minutes(2))) struct InheritedDescriptorTests {
    /// The child writes to its fd 3 (our socketpair's other end) and reports whether anything else leaked in as fd 4.
    func run(_ executor: LocalExecutor, memoryLimit: Int? = nil) async throws -> (String, [OspreyCompute.ExitStatus]) {
        let root = try TestSupport.temporaryFolder("fd3")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/host", withIntermediateDirectories: true)
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0)
        defer { close(pair[0]) }
        let script = #"printf 'hello from fd 3' >&3; if [ -e /proc/$$/fd/4 ]; then printf ', fd 4 leaked' >&3; fi"#
        var spec = LaunchSpec(
            jobName: "fd-three", hosts: [.init(name: "algo-1", folder: root + "/host")], arguments: ["/bin/sh", "-c", script],
            workingDirectory: "/opt/ml", memoryLimitBytes: memoryLimit, logDirectory: root + "/logs"
        )
        spec.inheritedDescriptor = pair[1]
        let job: RunningJob
        do {
            job = try await executor.start(spec)
        } catch {
            close(pair[1])
            throw error
        }
        close(pair[1])
        let exits = await job.wait().map(\.status)
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(pair[0], $0.baseAddress, $0.count) }
            if count <= 0 { break }
            received += chunk[0..<count]
        }
        return (String(decoding: received, as: UTF8.self), exits)
    }

    @Test func childGetsTheDescriptorAsFdThree() async throws {
        let executor = LocalExecutor()
        let (text, exits) = try await run(executor)
        #expect(exits == [.exited(0)])
        #expect(text == "hello from fd 3")
    }

    @Test func survivesTheNamespacePreludeAndTheCgroupWrapper() async throws {
        for isolation in [OptMLIsolation.userNamespace, .none(reason: "test")] {
            let (text, exits) = try await run(LocalExecutor(isolation: isolation), memoryLimit: 256 << 20)
            if exits != [.exited(0)], isolation == .userNamespace { continue }  // no user namespaces on this machine
            #expect(exits == [.exited(0)])
            #expect(text == "hello from fd 3")
        }
    }

    @Test func refusesStandardDescriptorsAndManyHosts() async throws {
        var spec = LaunchSpec(jobName: "fd-bad", hosts: [.init(name: "algo-1", folder: "/tmp")], arguments: ["true"], logDirectory: "/tmp")
        spec.inheritedDescriptor = 1
        #expect(throws: OspreyError.self) { try spec.validate() }
        spec.inheritedDescriptor = 5
        spec.hosts.append(.init(name: "algo-2", folder: "/tmp"))
        #expect(throws: OspreyError.self) { try spec.validate() }
    }
}
