import Foundation
import OspreyCore
import Testing

@testable import OspreyServices

/// Which `tar -tzvf` lines the archive check lets through.
@Suite("TarArchive: entries that stay inside their folder")
struct TarArchiveEntryTests {
    private func line(_ kind: String, _ name: String) -> String { "\(kind)rwxr-xr-x root/root 0 2026-11-26 17:53 \(name)" }

    @Test("the root folder as `/` (the SageMaker SDK's repacked model.tar.gz) is accepted; other absolute paths are not")
    func rootFolderEntry() throws {
        try TarArchive.check(entry: line("d", "/"))
        try TarArchive.check(entry: line("d", "code/"))
        try TarArchive.check(entry: line("-", "code/inference.py"))
        for refused in [line("d", "/etc/"), line("-", "/etc/passwd"), line("-", "/"), line("-", "../x")] {
            #expect(throws: OspreyError.self, "\(refused)") { try TarArchive.check(entry: refused) }
        }
    }

    @Test("an archive with a `/` root entry extracts into its folder")
    func extractsRootEntry() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tar-root-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.createDirectory(atPath: scratch + "/src/code", withIntermediateDirectories: true)
        try Data("print(1)\n".utf8).write(to: URL(fileURLWithPath: scratch + "/src/code/inference.py"))
        let python = """
            import tarfile, sys
            with tarfile.open(sys.argv[2], "w:gz") as t:
                t.add(sys.argv[1], arcname="/")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", python, scratch + "/src", scratch + "/model.tar.gz"]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        try TarArchive.extract(scratch + "/model.tar.gz", into: scratch + "/out")
        #expect(try String(contentsOfFile: scratch + "/out/code/inference.py", encoding: .utf8) == "print(1)\n")
    }
}
