import OspreyCore

/// SageMaker's training container contract for one job: the config files, the `SM_*` variables and the user arguments
/// that the SageMaker training toolkit would produce, as text. Pure: no I/O.
///
/// Values follow the toolkit (`sagemaker_training.environment` and `.mapping`): hyperparameters are decoded as JSON with a
/// fallback to the raw string; `SM_*` values are strings as-is and everything else compact JSON with sorted keys; user
/// arguments are `--name value` sorted by name with Python's `str(value)` (`True`, `0.1`, `k=v,k2=v2` for objects).
public struct TrainingContract: Sendable {
    /// Where the job sees its folder.
    public static let basePath = "/opt/ml"

    public let description: TrainingJobDescription
    let decoded: DecodedHyperparameters

    /// Checks the description and decodes its hyperparameters. Throws `.validation` for a bad job or channel name, an
    /// instance count outside 1…100, negative resource counts, a bad port, or text that cannot go into a process's
    /// environment or arguments (a NUL byte; `=` in a hyperparameter name).
    public init(_ description: TrainingJobDescription) throws {
        try Names.validateResourceName(description.jobName, field: "trainingJobName")
        guard (1...100).contains(description.instanceCount) else {
            throw OspreyError(.validation, "InstanceCount must be between 1 and 100, not \(description.instanceCount).")
        }
        guard description.cpuCount >= 1, description.gpuCount >= 0 else {
            throw OspreyError(.validation, "A job needs at least one CPU and a non-negative GPU count.")
        }
        guard (1...65535).contains(description.masterPort) else {
            throw OspreyError(.validation, "MASTER_PORT \(description.masterPort) is not a TCP port.")
        }
        for name in description.channels.keys { try Self.validateChannelName(name) }
        for (key, value) in description.hyperparameters {
            guard !key.contains("="), !key.contains("\0"), !value.contains("\0") else {
                throw OspreyError(.validation, "Hyperparameter '\(key)' cannot be passed to a process (it holds '=' or a NUL byte).")
            }
        }
        for (key, value) in description.environment where key.isEmpty || key.contains("=") || key.contains("\0") || value.contains("\0") {
            throw OspreyError(.validation, "Environment variable '\(key)' cannot be passed to a process.")
        }
        if let entry = description.entryPoint, entry.contains("\0") {
            throw OspreyError(.validation, "The entry point must not contain a NUL byte.")
        }
        self.description = description
        self.decoded = DecodedHyperparameters(description.hyperparameters)
    }

    /// Channel names become folder names: SageMaker's `[A-Za-z0-9.\-_]+`, at most 64 characters, never `.` or `..`.
    static func validateChannelName(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2E || byte == 0x2D
                || byte == 0x5F
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed, name != ".", name != ".." else {
            throw OspreyError(.validation, "Channel name '\(name)' must match [A-Za-z0-9.\\-_]+ (at most 64 characters).")
        }
    }

    /// `algo-1` … `algo-N`.
    public var hostNames: [String] { (1...description.instanceCount).map { "algo-\($0)" } }

    /// The entry point the toolkit would run: the description's, else `SAGEMAKER_PROGRAM`, else `sagemaker_program`.
    public var entryPoint: String? {
        if let entry = description.entryPoint ?? description.environment["SAGEMAKER_PROGRAM"] { return entry }
        return decoded.sagemaker["sagemaker_program"].flatMap { $0 == .none ? nil : $0.pythonStr }
    }

    /// `--name value` for each hyperparameter outside `sagemaker_*`, sorted by name, as the toolkit's `to_cmd_args`.
    public var userArguments: [String] { ToolkitFormatting.commandArguments(decoded.user) }

    /// `/opt/ml/input/config/hyperparameters.json`: the values exactly as the request gave them.
    public var hyperparametersJSON: String {
        PyValue.sortedDict(description.hyperparameters.mapValues(PyValue.string)).jsonText(compact: false)
    }

    /// `/opt/ml/input/config/inputdataconfig.json`: an object keyed by channel name.
    public var inputDataConfigJSON: String { inputDataConfig.jsonText(compact: false) }

    /// `/opt/ml/input/config/resourceconfig.json` for host `hostIndex` (0-based). Throws `.validation` when out of range.
    public func resourceConfigJSON(hostIndex: Int) throws -> String {
        try resourceConfig(hostIndex: hostIndex).jsonText(compact: false)
    }

    /// Everything one host needs: file texts, environment and arguments, with paths under `basePath`.
    ///
    /// Pass the default `/opt/ml` when the job sees a private `/opt/ml`; pass the host's real folder only where the OS
    /// cannot give it one (the executor rewrites `/opt/ml` paths itself in that case, so callers rarely need this).
    public func host(_ hostIndex: Int, basePath: String = TrainingContract.basePath) throws -> HostContract {
        let resource = try resourceConfig(hostIndex: hostIndex)
        let environment = ToolkitEnvironment(contract: self, hostIndex: hostIndex, resourceConfig: resource, basePath: basePath)
        return HostContract(
            hostName: hostNames[hostIndex],
            configFiles: [
                "hyperparameters.json": hyperparametersJSON,
                "resourceconfig.json": resource.jsonText(compact: false),
                "inputdataconfig.json": inputDataConfigJSON,
            ],
            environment: environment.variables(),
            userArguments: userArguments
        )
    }

    /// Script mode's command: `[python, /opt/ml/code/<entry>] + userArguments` (`/bin/sh` for a `.sh` entry point).
    /// Throws `.validation` when there is no entry point or it would leave the code folder.
    public func scriptModeArguments(python: String) throws -> [String] {
        guard let entry = entryPoint, !entry.isEmpty else {
            throw OspreyError(.validation, "The job names no entry point (sagemaker_program or SAGEMAKER_PROGRAM).")
        }
        let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
        guard !entry.hasPrefix("/"), !parts.contains(".."), !parts.contains("") else {
            throw OspreyError(.validation, "The entry point '\(entry)' must be a relative path inside the source folder.")
        }
        let path = Self.basePath + "/code/" + entry
        return (entry.hasSuffix(".sh") ? ["/bin/sh", path] : [python, path]) + userArguments
    }

    var inputDataConfig: PyValue {
        PyValue.sortedDict(
            description.channels.mapValues { channel in
                var members: [(key: String, value: PyValue)] = []
                if let type = channel.contentType { members.append((key: "ContentType", value: .string(type))) }
                members.append((key: "TrainingInputMode", value: .string(channel.inputMode)))
                members.append((key: "S3DistributionType", value: .string(channel.s3DistributionType)))
                members.append((key: "RecordWrapperType", value: .string(channel.recordWrapperType)))
                return .dict(members)
            }
        )
    }

    func resourceConfig(hostIndex: Int) throws -> PyValue {
        guard hostNames.indices.contains(hostIndex) else {
            throw OspreyError(.validation, "Host index \(hostIndex) is outside 0..<\(description.instanceCount).")
        }
        let hosts = PyValue.strings(hostNames)
        return .dict([
            (key: "current_host", value: .string(hostNames[hostIndex])),
            (key: "current_instance_type", value: .string(description.instanceType)),
            (key: "current_group_name", value: .string(ToolkitEnvironment.groupName)),
            (key: "hosts", value: hosts),
            (
                key: "instance_groups",
                value: .list([
                    .dict([
                        (key: "instance_group_name", value: .string(ToolkitEnvironment.groupName)),
                        (key: "instance_type", value: .string(description.instanceType)),
                        (key: "hosts", value: hosts),
                    ])
                ])
            ),
            (key: "network_interface_name", value: .string("lo")),
        ])
    }
}

/// What one host of a training job gets.
public struct HostContract: Sendable, Equatable {
    /// `algo-1`, `algo-2`, …
    public var hostName: String
    /// File name under `input/config/` → JSON text.
    public var configFiles: [String: String]
    /// The `SM_*` variables plus `TRAINING_JOB_NAME`, `CURRENT_HOST`, `MASTER_ADDR`, `MASTER_PORT` and `PYTHONUNBUFFERED`.
    public var environment: [String: String]
    /// `--name value` pairs for script mode.
    public var userArguments: [String]
}

/// Hyperparameters decoded and split as the toolkit splits them.
struct DecodedHyperparameters: Sendable {
    /// The toolkit's own names (`sagemaker_program`, `sagemaker_submit_directory`, …) and anything starting `sagemaker_`.
    var sagemaker: [String: PyValue] = [:]
    /// Everything else: what the user's code receives.
    var user: [String: PyValue] = [:]

    /// `params.SAGEMAKER_HYPERPARAMETERS`.
    static let toolkitNames: Set<String> = [
        "sagemaker_program", "sagemaker_submit_directory", "sagemaker_enable_cloudwatch_metrics", "sagemaker_region",
        "sagemaker_container_log_level", "sagemaker_job_name", "default_user_module_name", "_tuning_objective_metric",
        "sagemaker_s3_output",
    ]

    init(_ raw: [String: String]) {
        for (key, value) in raw {
            let decoded = PyValue.decodeHyperparameter(value)
            if Self.toolkitNames.contains(key) || key.hasPrefix("sagemaker_") {
                sagemaker[key] = decoded
            } else {
                user[key] = decoded
            }
        }
    }

    /// `sagemaker_*` values that are not the toolkit's own: the framework's parameters (`sagemaker_mpi_enabled`, …).
    var frameworkParameters: [String: PyValue] { sagemaker.filter { !Self.toolkitNames.contains($0.key) } }
}
