import Foundation
import Glibc

/// How jobs get their private `/opt/ml` on this machine.
public enum OptMLIsolation: Sendable, Equatable {
    /// As root: a mount namespace per host process (`unshare --mount`) with the host folder bound on `/opt/ml`.
    case mountNamespace
    /// Unprivileged: a user namespace mapping us to root, then the same mount namespace.
    case userNamespace
    /// Neither works: `/opt/ml` in variables, arguments and the working directory is rewritten to the host folder.
    case none(reason: String)

    /// True when the job sees the literal path `/opt/ml`. When false, say so in the job's status message.
    public var privateOptML: Bool {
        if case .none = self { return false }
        return true
    }

    /// The `unshare` arguments that start the namespace, nil without isolation.
    var unshareArguments: [String]? {
        switch self {
        case .mountNamespace: ["--mount", "--propagation", "private"]
        case .userNamespace: ["--user", "--map-root-user", "--mount", "--propagation", "private"]
        case .none: nil
        }
    }

    /// The shell prelude run inside the namespace: `$1` a `cgroup.procs` file to join first (or empty), `$2` the host
    /// folder, `$3` the number of paths to hide, the paths, the working directory, then the command. Joining the cgroup
    /// here, before the command starts, leaves no window outside the limit; the executor joins it again from outside and
    /// reports that result. Mount errors go to the job's log and fail the job.
    static let prelude = """
        set -e
        if [ -n "$1" ]; then { echo $$ > "$1"; } 2>/dev/null || true; fi
        PATH=/usr/sbin:/usr/bin:/sbin:/bin mount --bind "$2" /opt/ml
        n=$3
        shift 3
        while [ "$n" -gt 0 ]; do
            if [ -d "$1" ]; then PATH=/usr/sbin:/usr/bin:/sbin:/bin mount -t tmpfs -o size=64k,mode=0755 osprey-hidden "$1"; fi
            shift
            n=$((n - 1))
        done
        cd "$1"
        shift
        exec "$@"
        """

    /// Without a namespace, only the cgroup: `$1` the `cgroup.procs` file, then the command.
    static let cgroupPrelude = """
        { echo $$ > "$1"; } 2>/dev/null || true
        shift
        exec "$@"
        """

    static let unsharePath = Spawner.resolve("unshare", path: nil) ?? "/usr/bin/unshare"
    static let shellPath = "/bin/sh"

    /// The command that runs `arguments` for a host whose folder is `hostFolder`, with `hiddenPaths` covered by empty
    /// folders, from `workingDirectory` (an `/opt/ml` path), inside the cgroup of `cgroupProcs` when given. Nil when the
    /// arguments run as they are (no isolation, no cgroup).
    func wrap(
        _ arguments: [String], hostFolder: String, hiddenPaths: [String], workingDirectory: String, cgroupProcs: String? = nil
    ) -> [String]? {
        guard let unshare = unshareArguments else {
            guard let cgroupProcs else { return nil }
            return [Self.shellPath, "-c", Self.cgroupPrelude, "osprey-prelude", cgroupProcs] + arguments
        }
        return [Self.unsharePath] + unshare
            + [Self.shellPath, "-c", Self.prelude, "osprey-prelude", cgroupProcs ?? "", hostFolder, String(hiddenPaths.count)]
            + hiddenPaths + [workingDirectory] + arguments
    }

    /// Probes once per process and remembers the answer.
    public static func detect() async -> OptMLIsolation { await cached.value }

    private static let cached = Task { await probe() }

    /// Tries each way in turn on a scratch folder: bind it on `/opt/ml` in a new namespace and look for a marker file.
    static func probe() async -> OptMLIsolation {
        guard FileManager.default.isExecutableFile(atPath: unsharePath) else { return .none(reason: "unshare(1) is not installed") }
        if geteuid() == 0 { try? FileManager.default.createDirectory(atPath: "/opt/ml", withIntermediateDirectories: true) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: "/opt/ml", isDirectory: &isDirectory), isDirectory.boolValue else {
            return .none(reason: "/opt/ml does not exist and cannot be created without root")
        }
        let scratch = NSTemporaryDirectory() + "osprey-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let marker = "osprey-probe-marker"
        guard (try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)) != nil,
            FileManager.default.createFile(atPath: scratch + "/" + marker, contents: Data())
        else { return .none(reason: "cannot create a scratch folder to probe namespaces") }
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        var candidates: [OptMLIsolation] = [.userNamespace]
        if geteuid() == 0 { candidates.insert(.mountNamespace, at: 0) }
        for candidate in candidates {
            guard let command = candidate.wrap(["test", "-f", "/opt/ml/" + marker], hostFolder: scratch, hiddenPaths: [], workingDirectory: "/")
            else { continue }
            let status = try? await CommandRunner.run(command)
            // The mount must have stayed inside the namespace.
            if status == .exited(0), !FileManager.default.fileExists(atPath: "/opt/ml/" + marker) { return candidate }
        }
        return .none(reason: "mount namespaces are not available to this process")
    }
}

/// Rewrites `/opt/ml` paths to a host's real folder, for machines without mount namespaces.
enum OptMLPaths {
    /// Replaces `/opt/ml` wherever it stands as a whole path component prefix (`/opt/ml`, `/opt/ml/model`, inside JSON
    /// and `--dir=/opt/ml/x`), never inside a longer name such as `/opt/mlflow` or `/x/opt/ml`.
    static func rewrite(_ text: String, to folder: String) -> String {
        let needle = Array("/opt/ml".utf8)
        let bytes = Array(text.utf8)
        guard bytes.count >= needle.count else { return text }
        func isNameByte(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D
                || byte == 0x2E || byte >= 0x80
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let end = index + needle.count
            if end <= bytes.count, bytes[index..<end].elementsEqual(needle),
                index == 0 || !(isNameByte(bytes[index - 1]) || bytes[index - 1] == 0x2F),
                end == bytes.count || !isNameByte(bytes[end])
            {
                out.append(contentsOf: folder.utf8)
                index = end
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
