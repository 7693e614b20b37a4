/// The toolkit's `Environment` object for one host, and its `to_env_vars()`.
///
/// Mirrors `sagemaker_training/environment.py`: the properties (all of which make up `SM_TRAINING_ENV`) and the keys of
/// `to_env_vars`, each printed by `mapping.to_env_vars` as `SM_<KEY upper-cased>`.
struct ToolkitEnvironment {
    static let groupName = "homogeneousCluster"
    /// `logging.INFO`, the toolkit's default log level.
    static let defaultLogLevel = PyValue.int("20")
    /// The framework parameters that make the current group a distribution group.
    static let distributionFlags = [
        "sagemaker_mpi_enabled", "sagemaker_parameter_server_enabled", "sagemaker_distributed_dataparallel_enabled",
        "sagemaker_pytorch_ddp_enabled", "sagemaker_pytorch_xla_multi_worker_enabled", "sagemaker_multi_worker_mirrored_strategy_enabled",
        "sagemaker_torch_distributed_enabled",
    ]

    let contract: TrainingContract
    let hostIndex: Int
    let resourceConfig: PyValue
    let basePath: String

    private var description: TrainingJobDescription { contract.description }
    private var hps: DecodedHyperparameters { contract.decoded }
    private var currentHost: String { contract.hostNames[hostIndex] }
    private var hosts: PyValue { .strings(contract.hostNames) }
    private var modelDir: String { basePath + "/model" }
    private var inputDir: String { basePath + "/input" }
    private var inputConfigDir: String { basePath + "/input/config" }
    private var outputDir: String { basePath + "/output" }
    private var outputDataDir: String { basePath + "/output/data" }
    private var outputIntermediateDir: String { basePath + "/output/intermediate" }
    private var channelDirs: [String: PyValue] {
        description.channels.keys.reduce(into: [:]) { $0[$1] = .string(inputDir + "/data/" + $1) }
    }

    /// `SAGEMAKER_PROGRAM` (or the description's entry point) wins over the `sagemaker_program` hyperparameter.
    private var programFromEnvironment: String? { description.entryPoint ?? description.environment["SAGEMAKER_PROGRAM"] }

    private var userEntryPoint: PyValue {
        if let program = programFromEnvironment { return .string(program) }
        return hps.sagemaker["sagemaker_program"] ?? .none
    }

    /// `module_name`: the program without `.py`; `str(None)`, i.e. `"None"`, when there is none (as the toolkit does).
    private var moduleName: String {
        let name = programFromEnvironment ?? (hps.sagemaker["sagemaker_program"] ?? PyValue.none).pythonStr
        return name.hasSuffix(".py") ? String(name.dropLast(3)) : name
    }

    private var moduleDir: String { (hps.sagemaker["sagemaker_submit_directory"] ?? .string(basePath + "/code")).pythonStr }

    private var frameworkModule: PyValue { description.environment["SAGEMAKER_TRAINING_MODULE"].map(PyValue.string) ?? .none }

    /// `mp_parameters and mp_parameters != "{}"`, read from the container's environment.
    private var isModelParallelEnabled: PyValue {
        guard let value = description.environment["SM_HP_MP_PARAMETERS"] else { return .none }
        return value.isEmpty ? .string(value) : .bool(value != "{}")
    }

    private var instanceGroup: PyValue {
        .dict([
            (key: "instance_group_name", value: .string(Self.groupName)),
            (key: "instance_type", value: .string(description.instanceType)),
            (key: "hosts", value: hosts),
        ])
    }

    private var distributionInstanceGroups: PyValue {
        if let given = hps.frameworkParameters["sagemaker_distribution_instance_groups"] { return given }
        let enabled = Self.distributionFlags.contains { hps.frameworkParameters[$0]?.isTruthy ?? false }
        return .list(enabled ? [.string(Self.groupName)] : [])
    }

    private var distributionHosts: PyValue {
        guard case .list(let groups) = distributionInstanceGroups, groups.contains(.string(Self.groupName)) else { return .list([]) }
        return hosts
    }

    private var masterHostname: String {
        if case .list(let names) = distributionHosts, case .string(let first)? = names.first { return first }
        return contract.hostNames[0]
    }

    /// `dict(Environment())`: every property of the toolkit's `Environment`.
    func trainingEnvironment() -> PyValue {
        let frameworkParameters = PyValue.sortedDict(hps.frameworkParameters)
        return PyValue.sortedDict([
            "additional_framework_parameters": frameworkParameters,
            "channel_input_dirs": .sortedDict(channelDirs),
            "current_host": .string(currentHost),
            "current_instance_group": .string(Self.groupName),
            "current_instance_group_hosts": hosts,
            "current_instance_type": .string(description.instanceType),
            "distribution_hosts": distributionHosts,
            "distribution_instance_groups": distributionInstanceGroups,
            "framework_module": frameworkModule,
            "hosts": hosts,
            "hyperparameters": .sortedDict(hps.user),
            "input_config_dir": .string(inputConfigDir),
            "input_data_config": contract.inputDataConfig,
            "input_dir": .string(inputDir),
            "instance_groups": .strings([Self.groupName]),
            "instance_groups_dict": .dict([(key: Self.groupName, value: instanceGroup)]),
            "is_hetero": .bool(false),
            "is_master": .bool(currentHost == masterHostname),
            "is_modelparallel_enabled": isModelParallelEnabled,
            "is_smddpmprun_installed": .bool(false),
            "is_smddprun_installed": .bool(false),
            "job_name": .string(description.jobName),
            "log_level": hps.sagemaker["sagemaker_container_log_level"] ?? Self.defaultLogLevel,
            "master_hostname": .string(masterHostname),
            "model_dir": .string(modelDir),
            "module_dir": .string(moduleDir),
            "module_name": .string(moduleName),
            "network_interface_name": .string("lo"),
            "num_cpus": .int(String(description.cpuCount)),
            "num_gpus": .int(String(description.gpuCount)),
            "num_neurons": .int("0"),
            "output_data_dir": .string(outputDataDir),
            "output_dir": .string(outputDir),
            "output_intermediate_dir": .string(outputIntermediateDir),
            "resource_config": resourceConfig,
            "topology": .list([]),
            "user_entry_point": userEntryPoint,
        ])
    }

    /// `to_env_vars()` plus what the platform and the toolkit's runner set around it.
    func variables() -> [String: String] {
        let training = trainingEnvironment()
        var toolkit: [(String, PyValue)] = [
            ("hosts", hosts),
            ("network_interface_name", .string("lo")),
            ("hps", .sortedDict(hps.user)),
            ("user_entry_point", userEntryPoint),
            ("framework_params", .sortedDict(hps.frameworkParameters)),
            ("resource_config", resourceConfig),
            ("input_data_config", contract.inputDataConfig),
            ("output_data_dir", .string(outputDataDir)),
            ("channels", .strings(description.channels.keys.sorted(by: PyValue.codePointLess))),
            ("current_host", .string(currentHost)),
            ("current_instance_type", .string(description.instanceType)),
            ("current_instance_group", .string(Self.groupName)),
            ("current_instance_group_hosts", hosts),
            ("instance_groups", .strings([Self.groupName])),
            ("instance_groups_dict", .dict([(key: Self.groupName, value: instanceGroup)])),
            ("distribution_instance_groups", distributionInstanceGroups),
            ("is_hetero", .bool(false)),
            ("module_name", .string(moduleName)),
            ("log_level", hps.sagemaker["sagemaker_container_log_level"] ?? Self.defaultLogLevel),
            ("framework_module", frameworkModule),
            ("input_dir", .string(inputDir)),
            ("input_config_dir", .string(inputConfigDir)),
            ("output_dir", .string(outputDir)),
            ("num_cpus", .int(String(description.cpuCount))),
            ("num_gpus", .int(String(description.gpuCount))),
            ("num_neurons", .int("0")),
            ("model_dir", .string(modelDir)),
            ("module_dir", .string(moduleDir)),
            ("training_env", training),
            ("user_args", .strings(contract.userArguments)),
            ("output_intermediate_dir", .string(outputIntermediateDir)),
        ]
        for (name, path) in channelDirs.sorted(by: { PyValue.codePointLess($0.key, $1.key) }) { toolkit.append(("channel_" + name, path)) }
        for (name, value) in hps.user.sorted(by: { PyValue.codePointLess($0.key, $1.key) }) { toolkit.append(("hp_" + name, value)) }

        var variables: [String: String] = [:]
        for (key, value) in toolkit {
            variables["SM_" + ToolkitFormatting.upper(key)] = ToolkitFormatting.environmentValue(value)
        }
        variables["TRAINING_JOB_NAME"] = description.jobName
        variables["CURRENT_HOST"] = currentHost
        variables["MASTER_ADDR"] = "127.0.0.1"
        variables["MASTER_PORT"] = String(description.masterPort)
        variables["PYTHONUNBUFFERED"] = "1"
        if basePath != TrainingContract.basePath { variables["SAGEMAKER_BASE_DIR"] = basePath }
        return variables
    }
}

/// The toolkit's `mapping` helpers.
enum ToolkitFormatting {
    /// `mapping.to_env_vars`' value format: `None` → empty, strings as-is, anything else compact JSON with sorted keys.
    static func environmentValue(_ value: PyValue) -> String {
        switch value {
        case .none: ""
        case .string(let text): text
        default: value.jsonText(sortKeys: true, compact: true)
        }
    }

    /// `mapping.to_cmd_args`: sorted names, `--name` (or `-n` for one character), `str(value)`; objects become `k=v,k2=v2`.
    static func commandArguments(_ values: [String: PyValue]) -> [String] {
        var arguments: [String] = []
        for key in values.keys.sorted(by: PyValue.codePointLess) {
            let count = key.unicodeScalars.count
            arguments.append(count == 0 ? "" : count == 1 ? "-" + key : "--" + key)
            switch values[key] ?? .none {
            case .none: arguments.append("")
            case .dict(let members):
                let items = members.sorted { PyValue.codePointLess($0.key, $1.key) }
                arguments.append(items.map { $0.key + "=" + $0.value.pythonStr }.joined(separator: ","))
            case let value: arguments.append(value.pythonStr)
            }
        }
        return arguments
    }

    /// Python's `str.upper()` for the names the toolkit upper-cases.
    static func upper(_ text: String) -> String { text.uppercased() }
}
