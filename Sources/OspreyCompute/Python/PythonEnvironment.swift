import Foundation
import Glibc
import OspreyCore

/// Python virtual environments for jobs: made once, reused, safe to ask for from many tasks and processes at a time.
///
/// Run user code with the returned interpreter directly (no activation, no shell): a venv's interpreter starts in a
/// fraction of the time a pyenv shim takes.
public enum PythonEnvironment {
    /// Written last when an environment is complete; a folder without it is a leftover and is made again.
    static let readyMarker = ".osprey-ready"

    /// Makes a venv at `folder` with `python -m venv` unless it is already there, and returns its interpreter,
    /// `<folder>/bin/python`. Concurrent callers wait on `<folder>.lock`. Throws `.internalError` when the venv cannot be
    /// made (the output of `venv` is in the message).
    public static func ensure(at folder: String, python: String = "python3") async throws -> String {
        let interpreter = folder + "/bin/python"
        if isReady(folder) { return interpreter }
        try JobLayout.makeDirectory((folder as NSString).deletingLastPathComponent)
        return try await FileLock.withLock(folder + ".lock") {
            if isReady(folder) { return interpreter }
            try? FileManager.default.removeItem(atPath: folder)
            try await makeVenv(at: folder, python: python, log: { _ in })
            try markReady(folder)
            return interpreter
        }
    }

    /// A venv with `requirementsFile` installed, shared by every job whose file has the same bytes and whose base
    /// interpreter is `baseVenvPython`: `<cacheRoot>/<sha256>/bin/python`. The new venv also sees the base venv's packages.
    ///
    /// `pip install -r` runs only on a cache miss, from the requirements file's folder, with each line of its output passed
    /// to `log`; a hit installs nothing and logs one line. Throws `.validation` when pip fails (its last lines are in the
    /// message and in `log`), `.internalError` when the file cannot be read or the venv made.
    public static func installRequirements(
        _ requirementsFile: String, baseVenvPython: String, cacheRoot: String, log: @escaping @Sendable (String) -> Void
    ) async throws -> String {
        guard let contents = FileManager.default.contents(atPath: requirementsFile) else {
            throw OspreyError(.internalError, "Cannot read \(requirementsFile).")
        }
        let key = SHA256Digest.hex(Array(contents) + [0] + Array(baseVenvPython.utf8))
        let folder = cacheRoot + "/" + key
        let interpreter = folder + "/bin/python"
        if isReady(folder) {
            log("Using the cached environment \(key.prefix(12)) for \((requirementsFile as NSString).lastPathComponent).")
            return interpreter
        }
        try JobLayout.makeDirectory(cacheRoot)
        return try await FileLock.withLock(folder + ".lock") {
            if isReady(folder) {
                log("Using the cached environment \(key.prefix(12)) for \((requirementsFile as NSString).lastPathComponent).")
                return interpreter
            }
            try? FileManager.default.removeItem(atPath: folder)
            do {
                try await makeVenv(at: folder, python: baseVenvPython, log: log)
                try await linkBasePackages(of: baseVenvPython, into: interpreter)
                try await pipInstall(requirementsFile, python: interpreter, log: log)
                try markReady(folder)
            } catch {
                try? FileManager.default.removeItem(atPath: folder)
                throw error
            }
            return interpreter
        }
    }

    static func isReady(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/" + readyMarker) && FileManager.default.fileExists(atPath: folder + "/bin/python")
    }

    private static func markReady(_ folder: String) throws {
        guard FileManager.default.createFile(atPath: folder + "/" + readyMarker, contents: Data()) else {
            throw OspreyError(.internalError, "Cannot finish the Python environment \(folder).")
        }
    }

    private static func makeVenv(at folder: String, python: String, log: @escaping @Sendable (String) -> Void) async throws {
        let output = LineBuffer()
        let status = try await CommandRunner.run([python, "-m", "venv", folder]) { line in
            output.append(line)
            log(line)
        }
        guard status.succeeded else {
            throw OspreyError(.internalError, "\(python) -m venv \(folder) failed (\(status)): \(output.tail())")
        }
    }

    /// Adds a `.pth` file so the new venv also imports the base venv's packages (after its own).
    private static func linkBasePackages(of basePython: String, into python: String) async throws {
        let query = "import sysconfig; print(sysconfig.get_path('purelib')); print(sysconfig.get_path('platlib'))"
        let base = LineBuffer()
        let own = LineBuffer()
        let baseStatus = try await CommandRunner.run([basePython, "-c", query]) { base.append($0) }
        let ownStatus = try await CommandRunner.run([python, "-c", query]) { own.append($0) }
        guard baseStatus.succeeded, ownStatus.succeeded, let target = own.lines.first else {
            throw OspreyError(.internalError, "Cannot find the site-packages folders of \(basePython) and \(python).")
        }
        let paths = Array(Set(base.lines.filter { !$0.isEmpty })).sorted().joined(separator: "\n") + "\n"
        guard FileManager.default.createFile(atPath: target + "/osprey-base.pth", contents: Data(paths.utf8)) else {
            throw OspreyError(.internalError, "Cannot write \(target)/osprey-base.pth.")
        }
    }

    private static func pipInstall(_ requirementsFile: String, python: String, log: @escaping @Sendable (String) -> Void) async throws {
        let output = LineBuffer()
        let directory = (requirementsFile as NSString).deletingLastPathComponent
        let status = try await CommandRunner.run(
            [python, "-m", "pip", "install", "--no-input", "--disable-pip-version-check", "-r", requirementsFile],
            workingDirectory: directory.isEmpty ? nil : directory
        ) { line in
            output.append(line)
            log(line)
        }
        guard status.succeeded else {
            throw OspreyError(.validation, "pip install -r \((requirementsFile as NSString).lastPathComponent) failed (\(status)): \(output.tail())")
        }
    }
}

/// Lines collected from a helper command, for error messages.
final class LineBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    func append(_ line: String) {
        lock.withLock { stored.append(line) }
    }

    var lines: [String] { lock.withLock { stored } }

    /// The last few non-empty lines, joined, at most 600 characters.
    func tail(_ count: Int = 5) -> String {
        String(lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.suffix(count).joined(separator: " | ").suffix(600))
    }
}
