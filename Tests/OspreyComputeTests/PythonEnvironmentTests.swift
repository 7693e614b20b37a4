import Foundation
import OspreyCore
import Testing

@testable import OspreyCompute

@Suite(.timeLimit(.minutes(10))) struct PythonEnvironmentTests {
    @Test func ensureIsIdempotentAndSafeConcurrently() async throws {
        let folder = try TestSupport.temporaryFolder("venv")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/env"
        async let first = PythonEnvironment.ensure(at: target)
        async let second = PythonEnvironment.ensure(at: target)
        let (a, b) = try await (first, second)
        #expect(a == target + "/bin/python")
        #expect(a == b)
        let version = LineBuffer()
        #expect(try await CommandRunner.run([a, "-c", "import sys; print(sys.prefix)"]) { version.append($0) } == .exited(0))
        #expect(version.lines == [target])
        let started = ContinuousClock.now
        #expect(try await PythonEnvironment.ensure(at: target) == a)
        print("ensure on an existing venv took \(ContinuousClock.now - started)")
    }

    @Test func requirementsAreCachedByContent() async throws {
        let reachable = try await CommandRunner.run([
            "python3", "-c", "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/six/', timeout=10)",
        ])
        guard reachable.succeeded else { try Test.cancel("PyPI is not reachable from here") }
        let folder = try TestSupport.temporaryFolder("reqs")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let base = try await TestSupport.python()
        try TestSupport.write("six==1.16.0\n", to: folder + "/a/requirements.txt")
        try TestSupport.write("six==1.16.0\n", to: folder + "/b/requirements.txt")

        let firstLog = LineBuffer()
        let first = try await PythonEnvironment.installRequirements(
            folder + "/a/requirements.txt", baseVenvPython: base, cacheRoot: folder + "/cache", log: { firstLog.append($0) }
        )
        #expect(firstLog.lines.contains { $0.contains("Successfully installed six") })

        let secondLog = LineBuffer()
        let second = try await PythonEnvironment.installRequirements(
            folder + "/b/requirements.txt", baseVenvPython: base, cacheRoot: folder + "/cache", log: { secondLog.append($0) }
        )
        #expect(second == first)
        #expect(secondLog.lines.count == 1)
        #expect(secondLog.lines.allSatisfy { $0.hasPrefix("Using the cached environment") })

        let check = LineBuffer()
        #expect(try await CommandRunner.run([second, "-c", "import six; print(six.__version__)"]) { check.append($0) } == .exited(0))
        #expect(check.lines == ["1.16.0"])

        try TestSupport.write("this-package-does-not-exist-osprey==0.0.0\n", to: folder + "/c/requirements.txt")
        await #expect(throws: OspreyError.self) {
            try await PythonEnvironment.installRequirements(folder + "/c/requirements.txt", baseVenvPython: base, cacheRoot: folder + "/cache") { _ in
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder + "/cache").filter { !$0.hasSuffix(".lock") }
        #expect(leftovers.count == 1)  // the failed environment was removed
    }
}
