import Foundation
import Testing

@testable import OspreyCompute

@Suite struct LogTailerTests {
    private func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test func keepsPartialLinesForTheNextRead() throws {
        let folder = try TestSupport.temporaryFolder("tail")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/algo-1.log"
        let tailer = LogTailer(path: path)
        #expect(try tailer.read(from: 0) == LogChunk(lines: [], nextOffset: 0))  // not written yet

        try TestSupport.write("first\n\nsec", to: path)
        let one = try tailer.read(from: 0)
        #expect(one.lines == [LogLine(text: "first", offset: 0)])
        #expect(one.nextOffset == 7)  // past the empty line, before the partial one

        try append("ond\r\nthird\n", to: path)
        let two = try tailer.read(from: one.nextOffset)
        #expect(two.lines == [LogLine(text: "second", offset: 7), LogLine(text: "third", offset: 15)])
        #expect(two.nextOffset == 21)
        #expect(try tailer.read(from: two.nextOffset) == LogChunk(lines: [], nextOffset: 21))

        try append("no newline at the end", to: path)
        #expect(try tailer.read(from: 21).lines.isEmpty)
        #expect(try tailer.read(from: 21, endOfStream: true) == LogChunk(lines: [LogLine(text: "no newline at the end", offset: 21)], nextOffset: 42))
        #expect(try tailer.read(from: 1000) == LogChunk(lines: [], nextOffset: 1000))
    }

    @Test func cutsLongLines() throws {
        let folder = try TestSupport.temporaryFolder("long")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/log"
        try TestSupport.write(String(repeating: "x", count: 25) + "\nshort\n" + String(repeating: "é", count: 10), to: path)
        let tailer = LogTailer(path: path, maxLineBytes: 9, maxReadBytes: 64)
        var offset: UInt64 = 0
        var texts: [String] = []
        for _ in 0..<10 {
            let chunk = try tailer.read(from: offset)
            texts += chunk.lines.map(\.text)
            offset = chunk.nextOffset
        }
        // The long complete line is cut; the long partial one comes out in cut pieces that never split a character.
        #expect(texts == [String(repeating: "x", count: 9), "short", "éééé", "éééé"])
        #expect(offset == 48)  // the last two characters wait for more
    }

    @Test func defaultLimitIs256KiB() throws {
        let folder = try TestSupport.temporaryFolder("big")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/log"
        try TestSupport.write(String(repeating: "y", count: 300 * 1024) + "\nafter\n", to: path)
        let chunk = try LogTailer(path: path).read(from: 0)
        #expect(chunk.lines.map(\.text.utf8.count) == [256 * 1024, 5])
        #expect(chunk.nextOffset == 300 * 1024 + 7)
    }
}

@Suite struct RedactionAndFailureTests {
    @Test func redactsEveryOccurrence() {
        let redactor = Redactor(secrets: ["hunter2", "hunter2-long", ""])
        #expect(redactor.redact("pw=hunter2 and hunter2-long, hunter") == "pw=**** and ****, hunter")
        #expect(redactor.redact("nothing here") == "nothing here")
        #expect(Redactor(secrets: []).redact("hunter2") == "hunter2")
        #expect(Redactor(secrets: ["ключ"]).redact("a ключключ b") == "a ******** b")
    }

    @Test func capsTheReason() throws {
        let folder = try TestSupport.temporaryFolder("reason")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try TestSupport.write(String(repeating: "a", count: 5000), to: folder + "/output/failure")
        let fromFile = FailureReason.describe(hostFolder: folder, logFile: nil, status: .exited(1))
        #expect(fromFile.count == 1024)
        #expect(fromFile.hasPrefix("AlgorithmError: aaa"))

        try FileManager.default.removeItem(atPath: folder + "/output/failure")
        let log = folder + "/algo-1.log"
        try TestSupport.write((0..<30).map { "line \($0) " + String(repeating: "b", count: 200) }.joined(separator: "\n") + "\nthe end\n", to: log)
        let fromLog = FailureReason.describe(hostFolder: folder, logFile: log, status: .signaled(9))
        #expect(fromLog.count <= 1024)
        #expect(fromLog.hasPrefix("AlgorithmError: killed by signal 9 (SIGKILL)\n…"))
        #expect(fromLog.hasSuffix("the end"))

        #expect(FailureReason.describe(hostFolder: folder, logFile: folder + "/missing", status: .exited(3)) == "AlgorithmError: exit code 3")
    }
}

@Suite struct SupportTests {
    @Test func sha256Vectors() {
        #expect(SHA256Digest.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256Digest.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
        #expect(SHA256Digest.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func rewritesOptMLPaths() {
        let folder = "/data/jobs/j"
        #expect(OptMLPaths.rewrite("/opt/ml", to: folder) == folder)
        #expect(OptMLPaths.rewrite("/opt/ml/model", to: folder) == folder + "/model")
        #expect(OptMLPaths.rewrite("--dir=/opt/ml/x", to: folder) == "--dir=" + folder + "/x")
        #expect(OptMLPaths.rewrite("{\"a\":\"/opt/ml/input\"}", to: folder) == "{\"a\":\"" + folder + "/input\"}")
        #expect(OptMLPaths.rewrite("/opt/mlflow /x/opt/ml /opt/ml2", to: folder) == "/opt/mlflow /x/opt/ml /opt/ml2")
        #expect(OptMLPaths.rewrite("a:/opt/ml/code:b", to: folder) == "a:" + folder + "/code:b")
    }

    @Test func exitStatusDecoding() {
        #expect(ExitStatus(waitStatus: 0) == .exited(0))
        #expect(ExitStatus(waitStatus: 3 << 8) == .exited(3))
        #expect(ExitStatus(waitStatus: 9) == .signaled(9))
        #expect(ExitStatus.signaled(15).description == "killed by signal 15 (SIGTERM)")
    }
}
