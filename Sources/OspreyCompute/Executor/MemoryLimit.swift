import Foundation
import Glibc

/// A memory limit on one host's processes through a cgroup: v2 (`memory.max`) when `/sys/fs/cgroup` is a writable
/// cgroup2 hierarchy with the memory controller, else the v1 memory hierarchy (`memory.limit_in_bytes`) when writable.
struct MemoryLimit: Sendable {
    /// The cgroup folder the process was moved into.
    let path: String

    enum Outcome: Sendable {
        case applied(MemoryLimit)
        case skipped(reason: String)
    }

    static let v2Root = "/sys/fs/cgroup"
    static let v1Root = "/sys/fs/cgroup/memory"

    /// The file a process writes its pid to in order to join the group.
    var procsFile: String { path + "/cgroup.procs" }

    /// Makes a new cgroup `osprey/<name>` limited to `bytes`, empty. Never throws: the job runs without a limit when the
    /// machine cannot give one, and the reason says why.
    static func prepare(name: String, bytes: Int) -> Outcome {
        let manager = FileManager.default
        if let controllers = try? String(contentsOfFile: v2Root + "/cgroup.controllers", encoding: .utf8),
            controllers.split(whereSeparator: \.isWhitespace).contains("memory")
        {
            let parent = v2Root + "/osprey"
            try? manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
            // Leaves get memory.max only when every ancestor delegates the controller.
            _ = write("+memory", to: v2Root + "/cgroup.subtree_control")
            _ = write("+memory", to: parent + "/cgroup.subtree_control")
            return make(folder: parent + "/" + name, limitFile: "memory.max", bytes: bytes, hierarchy: "cgroup v2")
        }
        if manager.fileExists(atPath: v1Root + "/memory.limit_in_bytes") {
            let parent = v1Root + "/osprey"
            try? manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
            return make(folder: parent + "/" + name, limitFile: "memory.limit_in_bytes", bytes: bytes, hierarchy: "cgroup v1")
        }
        return .skipped(reason: "no writable memory cgroup on this machine")
    }

    private static func make(folder: String, limitFile: String, bytes: Int, hierarchy: String) -> Outcome {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            return .skipped(reason: "cannot create a \(hierarchy) group: \(error.localizedDescription)")
        }
        guard manager.fileExists(atPath: folder + "/" + limitFile) else {
            rmdir(folder)
            return .skipped(reason: "the \(hierarchy) memory controller is not delegated to \(folder)")
        }
        if let failure = write(String(bytes), to: folder + "/" + limitFile) {
            rmdir(folder)
            return .skipped(reason: "cannot set the \(hierarchy) memory limit: \(failure)")
        }
        return .applied(MemoryLimit(path: folder))
    }

    /// Moves `pid` (and the threads of its process) into the group; the error text, or nil on success.
    func join(_ pid: pid_t) -> String? {
        Self.write(String(pid), to: procsFile)
    }

    /// Removes the group once its processes are gone (the kernel refuses while any remain, so it retries briefly).
    func remove() async {
        for _ in 0..<20 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Writes `text` to a cgroup control file; the error text, or nil on success.
    private static func write(_ text: String, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return written == bytes.count ? nil : String(cString: strerror(errno))
    }
}
