import Foundation
import OspreyCore

/// The folders of a training job on disk: one `/opt/ml` tree per host.
///
/// A one-host job uses `<jobRoot>` itself; a job with N > 1 hosts uses `<jobRoot>/algo-1` … `<jobRoot>/algo-N`. Each host
/// folder holds `input/config/*.json`, `input/data/<channel>/`, `model/`, `output/data/`, `output/intermediate/`,
/// `checkpoints/` and `code/`. The caller fills `input/data/<channel>/` and `code/`; `output/failure` is the job's to write.
public struct JobLayout: Sendable, Equatable {
    /// One host's folder: what it sees as `/opt/ml`.
    public struct HostFolder: Sendable, Equatable {
        public var hostName: String
        public var path: String
        public var codeDirectory: String { path + "/code" }
        public var modelDirectory: String { path + "/model" }
        public var outputDataDirectory: String { path + "/output/data" }
        public var failureFile: String { path + "/output/failure" }
        public var checkpointDirectory: String { path + "/checkpoints" }
        public func channelDirectory(_ channel: String) -> String { path + "/input/data/" + channel }
    }

    public var jobRoot: String
    public var hosts: [HostFolder]

    /// Where host `hostName` of a job with `hostCount` hosts lives; computes, creates nothing.
    public static func hostFolder(jobRoot: String, hostName: String, hostCount: Int) -> String {
        hostCount == 1 ? jobRoot : jobRoot + "/" + hostName
    }

    /// Creates every host's folders and writes its three config files (replacing earlier ones). Existing files in
    /// `input/data` and `code` are kept. Throws `.internalError` naming the path that could not be written.
    @discardableResult
    public static func prepare(jobRoot: String, contract: TrainingContract) throws -> JobLayout {
        var hosts: [HostFolder] = []
        for (index, name) in contract.hostNames.enumerated() {
            let folder = HostFolder(hostName: name, path: hostFolder(jobRoot: jobRoot, hostName: name, hostCount: contract.hostNames.count))
            let host = try contract.host(index)
            let directories =
                ["input/config", "model", "output/data", "output/intermediate", "checkpoints", "code"]
                + contract.description.channels.keys.map { "input/data/" + $0 }
            for directory in directories { try makeDirectory(folder.path + "/" + directory) }
            for (file, text) in host.configFiles { try write(text, to: folder.path + "/input/config/" + file) }
            hosts.append(folder)
        }
        return JobLayout(jobRoot: jobRoot, hosts: hosts)
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OspreyError(.internalError, "Cannot create the job folder \(path).", cause: error)
        }
    }

    static func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw OspreyError(.internalError, "Cannot write \(path).", cause: error)
        }
    }
}
