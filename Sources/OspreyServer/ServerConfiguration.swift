import Foundation
import OspreyCore
public import OspreyServices
import Yams

/// Everything `osprey server` needs to start. Sources, strongest first: flags, `OSPREY_*` variables, `osprey.yaml`, defaults.
public struct ServerConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDir: String
    /// `sqlite:<path>` or `postgres://user:pass@host/db`; default `sqlite:<dataDir>/osprey.db`.
    public var database: String?
    /// `file:<path>` or `s3://bucket/prefix?endpoint=http://…`; default `file:<dataDir>/artifacts`.
    public var artifacts: String?
    public var region = "us-east-1"
    /// `OSPREY_ROOT_ACCESS_KEY_ID` / `OSPREY_ROOT_SECRET_ACCESS_KEY`: the admin key made at first start.
    public var rootAccessKeyId: String?
    public var rootSecretAccessKey: String?
    public var logLevel = "info"
    /// `training-slots`, `spot-restart-delay` (seconds), `spot-interruptions-per-hour`, `channel-cache-gib`.
    public var training = TrainingSettings()
    /// `autoscaling-interval` and `autoscaling-window` (seconds).
    public var autoscaling = AutoScalingSettings()

    public init(dataDir: String = ServerConfiguration.defaultDataDir) {
        self.dataDir = dataDir
    }

    public static var defaultDataDir: String {
        (ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.currentDirectoryPath) + "/.osprey"
    }

    /// Python environments for jobs (`OSPREY_ENVIRONMENTS_DIR`): outside the data folder, which jobs cannot see; shared by
    /// every server of the user, so an environment is made once.
    public var environmentsDir: String = {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["OSPREY_ENVIRONMENTS_DIR"], !folder.isEmpty { return folder }
        let cache = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
        return cache + "/osprey/environments"
    }()

    /// Folders a job must not see by their real paths: the data folder and a local artifact store elsewhere.
    public var pathsHiddenFromJobs: [String] {
        var paths = [dataDir]
        if artifactsURL.hasPrefix("file:") {
            let folder = String(artifactsURL.dropFirst("file:".count))
            if !folder.hasPrefix(dataDir + "/") { paths.append(folder) }
        }
        return paths
    }

    public var databaseURL: String { database ?? "sqlite:\(dataDir)/osprey.db" }
    public var artifactsURL: String { artifacts ?? "file:\(dataDir)/artifacts" }

    /// Overrides from a YAML file (keys as the flags: `host`, `port`, `data-dir`, `database`, `artifacts`, `region`, `log-level`).
    public mutating func apply(yaml text: String) throws {
        guard let values = try Yams.load(yaml: text) as? [String: Any] else {
            throw OspreyError(.validation, "osprey.yaml must be a mapping of settings.")
        }
        var strings: [String: String] = [:]
        for (key, value) in values { strings[key] = "\(value)" }
        try apply(strings, source: "osprey.yaml")
    }

    /// Overrides from `OSPREY_HOST`, `OSPREY_PORT`, `OSPREY_DATA_DIR`, `OSPREY_DATABASE`, `OSPREY_ARTIFACTS`, `OSPREY_REGION`,
    /// `OSPREY_LOG_LEVEL` and the root key variables.
    public mutating func apply(environment: [String: String]) throws {
        var strings: [String: String] = [:]
        for (key, value) in environment where key.hasPrefix("OSPREY_") {
            strings[key.dropFirst("OSPREY_".count).lowercased().replacingOccurrences(of: "_", with: "-")] = value
        }
        try apply(strings, source: "the environment")
        rootAccessKeyId = environment["OSPREY_ROOT_ACCESS_KEY_ID"] ?? rootAccessKeyId
        rootSecretAccessKey = environment["OSPREY_ROOT_SECRET_ACCESS_KEY"] ?? rootSecretAccessKey
    }

    mutating func apply(_ values: [String: String], source: String) throws {
        for (key, value) in values {
            switch key {
            case "host": host = value
            case "port":
                guard let number = Int(value), (0...65535).contains(number) else {
                    throw OspreyError(.validation, "port in \(source) must be a number from 0 to 65535, not '\(value)'.")
                }
                port = number
            case "data-dir": dataDir = value
            case "database": database = value
            case "artifacts": artifacts = value
            case "region": region = value
            case "log-level": logLevel = value
            case "training-slots": training.slots = try TrainingSettings.parseSlots(value)
            case "spot-restart-delay": training.spotRestartDelay = .milliseconds(Int(try number(key, value, source) * 1000))
            case "spot-interruptions-per-hour": training.spotInterruptionsPerHour = try number(key, value, source)
            case "channel-cache-gib": training.channelCacheBytes = Int64(try number(key, value, source) * Double(1 << 30))
            case "autoscaling-interval":
                autoscaling.interval = .milliseconds(Int(try AutoScalingSettings.seconds(key, value, source: source) * 1000))
            case "autoscaling-window": autoscaling.window = try AutoScalingSettings.seconds(key, value, source: source)
            default: continue
            }
        }
    }

    private func number(_ key: String, _ value: String, _ source: String) throws -> Double {
        guard let number = Double(value), number >= 0, number.isFinite else {
            throw OspreyError(.validation, "\(key) in \(source) must be a number of at least 0, not '\(value)'.")
        }
        return number
    }
}
