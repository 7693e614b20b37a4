import Foundation
import OspreyCore
import Testing

@testable import OspreyCompute

@Suite struct ContractTests {
    /// The job `ToolkitGolden` was generated from: SDK-style JSON-encoded values and boto3-style raw ones.
    static let sampleJob = TrainingJobDescription(
        jobName: "my-job", instanceCount: 2, instanceType: "ml.m5.xlarge",
        hyperparameters: [
            "sagemaker_program": "\"train.py\"",
            "sagemaker_submit_directory": "\"s3://bucket/my-job/source/sourcedir.tar.gz\"",
            "sagemaker_container_log_level": "20",
            "sagemaker_job_name": "\"my-job\"",
            "sagemaker_region": "\"us-east-1\"",
            "sagemaker_mpi_enabled": "false",
            "epochs": "10",
            "lr": "0.001",
            "optimizer": "\"adam\"",
            "model-name": "resnet",
            "use_gpu": "true",
            "layers": "[64, 32, \"x\"]",
            "config": "{\"b\": 2, \"a\": \"x\", \"c\": [true, null]}",
            "tiny": "1e-05",
            "big": "1e16",
            "e": "2.5",
            "unicode": "\"h\\u00e9llo\"",
            "nothing": "null",
            "quote": "it's",
        ],
        channels: ["train": TrainingChannel(contentType: "text/csv"), "validation": TrainingChannel()],
        cpuCount: 2, gpuCount: 0, masterPort: 29500
    )

    @Test func environmentMatchesTheToolkit() throws {
        let host = try TrainingContract(Self.sampleJob).host(1)
        for (name, expected) in ToolkitGolden.environment {
            #expect(host.environment[name] == expected, "\(name)")
        }
        let ours = Set(host.environment.keys.filter { $0.hasPrefix("SM_") })
        #expect(ours == Set(ToolkitGolden.environment.keys))
        #expect(host.userArguments == ToolkitGolden.userArguments)
        #expect(host.environment["TRAINING_JOB_NAME"] == "my-job")
        #expect(host.environment["MASTER_ADDR"] == "127.0.0.1")
        #expect(host.environment["MASTER_PORT"] == "29500")
        #expect(host.environment["PYTHONUNBUFFERED"] == "1")
        #expect(host.environment["SAGEMAKER_BASE_DIR"] == nil)
    }

    @Test func configFiles() throws {
        let contract = try TrainingContract(Self.sampleJob)
        let host = try contract.host(0)
        let hyperparameters = try #require(jsonObject(host.configFiles["hyperparameters.json"]) as? [String: String])
        #expect(hyperparameters == Self.sampleJob.hyperparameters)

        let resource = try #require(jsonObject(host.configFiles["resourceconfig.json"]) as? [String: Any])
        #expect(resource["current_host"] as? String == "algo-1")
        #expect(resource["current_instance_type"] as? String == "ml.m5.xlarge")
        #expect(resource["current_group_name"] as? String == "homogeneousCluster")
        #expect(resource["hosts"] as? [String] == ["algo-1", "algo-2"])
        #expect(resource["network_interface_name"] as? String == "lo")
        let groups = try #require(resource["instance_groups"] as? [[String: Any]])
        #expect(groups.count == 1)
        #expect(groups.first?["instance_group_name"] as? String == "homogeneousCluster")
        #expect(groups.first?["hosts"] as? [String] == ["algo-1", "algo-2"])

        let input = try #require(jsonObject(host.configFiles["inputdataconfig.json"]) as? [String: [String: String]])
        #expect(
            input["train"] == [
                "ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None",
            ]
        )
        #expect(input["validation"]?["ContentType"] == nil)
        #expect(input["validation"]?["TrainingInputMode"] == "File")
    }

    @Test func scriptModeAndEntryPoints() throws {
        let contract = try TrainingContract(Self.sampleJob)
        #expect(contract.entryPoint == "train.py")
        let arguments = try contract.scriptModeArguments(python: "/venv/bin/python")
        #expect(Array(arguments.prefix(2)) == ["/venv/bin/python", "/opt/ml/code/train.py"])
        #expect(Array(arguments.dropFirst(2)) == ToolkitGolden.userArguments)

        // boto3 users send raw values; the environment's SAGEMAKER_PROGRAM wins over the hyperparameter.
        var job = TrainingJobDescription(jobName: "raw", hyperparameters: ["sagemaker_program": "fit.py", "alpha": "0.5"])
        #expect(try TrainingContract(job).entryPoint == "fit.py")
        job.environment["SAGEMAKER_PROGRAM"] = "other.sh"
        let env = try TrainingContract(job).host(0).environment
        #expect(env["SM_USER_ENTRY_POINT"] == "other.sh")
        #expect(env["SM_MODULE_NAME"] == "other.sh")
        #expect(try TrainingContract(job).scriptModeArguments(python: "py") == ["/bin/sh", "/opt/ml/code/other.sh", "--alpha", "0.5"])

        // No entry point at all: the toolkit's module name is str(None).
        let bare = try TrainingContract(TrainingJobDescription(jobName: "bare")).host(0).environment
        #expect(bare["SM_MODULE_NAME"] == "None")
        #expect(bare["SM_USER_ENTRY_POINT"] == "")
        #expect(bare["SM_CHANNELS"] == "[]")
        #expect(bare["SM_HOSTS"] == "[\"algo-1\"]")
        #expect(throws: OspreyError.self) { try TrainingContract(TrainingJobDescription(jobName: "bare")).scriptModeArguments(python: "p") }

        for bad in ["../x.py", "/etc/x.py", "a//b.py"] {
            let contract = try TrainingContract(TrainingJobDescription(jobName: "j", entryPoint: bad))
            #expect(throws: OspreyError.self) { try contract.scriptModeArguments(python: "p") }
        }
    }

    @Test func distributionFlagsMakeAMaster() throws {
        let job = TrainingJobDescription(jobName: "dist", instanceCount: 3, hyperparameters: ["sagemaker_pytorch_ddp_enabled": "true"])
        let env = try TrainingContract(job).host(2).environment
        #expect(env["SM_DISTRIBUTION_INSTANCE_GROUPS"] == "[\"homogeneousCluster\"]")
        let training = try #require(jsonObject(env["SM_TRAINING_ENV"]) as? [String: Any])
        #expect(training["distribution_hosts"] as? [String] == ["algo-1", "algo-2", "algo-3"])
        #expect(training["master_hostname"] as? String == "algo-1")
        #expect(training["is_master"] as? Bool == false)
        #expect(env["SM_HOSTS"] == "[\"algo-1\",\"algo-2\",\"algo-3\"]")
        #expect(env["SM_CURRENT_HOST"] == "algo-3")
    }

    @Test func otherBasePath() throws {
        let env = try TrainingContract(Self.sampleJob).host(0, basePath: "/data/jobs/my-job/algo-1").environment
        #expect(env["SM_MODEL_DIR"] == "/data/jobs/my-job/algo-1/model")
        #expect(env["SM_CHANNEL_TRAIN"] == "/data/jobs/my-job/algo-1/input/data/train")
        #expect(env["SAGEMAKER_BASE_DIR"] == "/data/jobs/my-job/algo-1")
    }

    @Test func refusesBadDescriptions() {
        let bad: [TrainingJobDescription] = [
            TrainingJobDescription(jobName: "bad name"),
            TrainingJobDescription(jobName: "j", instanceCount: 0),
            TrainingJobDescription(jobName: "j", channels: ["../etc": TrainingChannel()]),
            TrainingJobDescription(jobName: "j", channels: ["..": TrainingChannel()]),
            TrainingJobDescription(jobName: "j", hyperparameters: ["a=b": "1"]),
            TrainingJobDescription(jobName: "j", hyperparameters: ["a": "1\0"]),
            TrainingJobDescription(jobName: "j", masterPort: 70000),
        ]
        for description in bad {
            #expect(throws: OspreyError.self) { try TrainingContract(description) }
        }
        #expect(throws: OspreyError.self) { try TrainingContract(TrainingJobDescription(jobName: "j")).host(1) }
    }

    @Test func layoutCreatesTheFolders() throws {
        let root = try TestSupport.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let contract = try TrainingContract(Self.sampleJob)
        let layout = try JobLayout.prepare(jobRoot: root, contract: contract)
        #expect(layout.hosts.map(\.path) == [root + "/algo-1", root + "/algo-2"])
        for host in layout.hosts {
            for folder in ["input/config", "input/data/train", "input/data/validation", "model", "output/data", "checkpoints", "code"] {
                #expect(FileManager.default.fileExists(atPath: host.path + "/" + folder), "\(folder)")
            }
            let resource = try #require(
                jsonObject(String(contentsOfFile: host.path + "/input/config/resourceconfig.json", encoding: .utf8)) as? [String: Any]
            )
            #expect(resource["current_host"] as? String == host.hostName)
        }
        let single = try JobLayout.prepare(jobRoot: root + "/one", contract: TrainingContract(TrainingJobDescription(jobName: "one")))
        #expect(single.hosts.map(\.path) == [root + "/one"])
    }

    private func jsonObject(_ text: String?) throws -> Any {
        try JSONSerialization.jsonObject(with: Data((text ?? "").utf8))
    }
}

@Suite struct PythonFormattingTests {
    @Test(arguments: [
        ("0.1", "0.1"), ("1e16", "1e+16"), ("1e15", "1000000000000000.0"), ("9732522570430618.0", "9732522570430618.0"),
        ("0.0001", "0.0001"), ("0.00001", "1e-05"), ("1.5e300", "1.5e+300"), ("-0.0", "-0.0"), ("5e-324", "5e-324"),
        ("123456789012345680.0", "1.2345678901234568e+17"), ("100.0", "100.0"), ("2.5e-7", "2.5e-07"), ("1E400", "inf"),
    ])
    func floatsPrintLikePython(_ literal: String, _ expected: String) throws {
        let value = try #require(PyValue.parseJSON(literal))
        #expect(value.pythonStr == expected)
    }

    @Test func decodesLikeJsonLoads() {
        #expect(PyValue.decodeHyperparameter("\"train.py\"") == .string("train.py"))
        #expect(PyValue.decodeHyperparameter("train.py") == .string("train.py"))
        #expect(PyValue.decodeHyperparameter(" 5 ") == .int("5"))
        #expect(PyValue.decodeHyperparameter("-0") == .int("0"))
        #expect(PyValue.decodeHyperparameter("123456789012345678901234567890") == .int("123456789012345678901234567890"))
        #expect(PyValue.decodeHyperparameter("NaN").pythonStr == "nan")
        #expect(PyValue.decodeHyperparameter("") == .string(""))
        #expect(PyValue.decodeHyperparameter("01") == .string("01"))
        #expect(PyValue.decodeHyperparameter("[1,]") == .string("[1,]"))
        #expect(PyValue.decodeHyperparameter("\"a\tb\"") == .string("\"a\tb\""))  // strict: raw control characters refused
        #expect(PyValue.decodeHyperparameter("\"\\ud83d\\ude00\"") == .string("😀"))
        #expect(PyValue.decodeHyperparameter("{\"a\": 1, \"a\": 2}") == .dict([(key: "a", value: .int("2"))]))
    }

    @Test func printsLikePython() {
        let value = PyValue.parseJSON("{\"z\": [1, 2.0, \"it's\", null, true], \"a\": {\"k\": \"v\\n\"}, \"é\": \"😀\"}")
        #expect(value?.pythonRepr == "{'z': [1, 2.0, \"it's\", None, True], 'a': {'k': 'v\\n'}, 'é': '😀'}")
        #expect(value?.jsonText() == "{\"a\":{\"k\":\"v\\n\"},\"z\":[1,2.0,\"it's\",null,true],\"\\u00e9\":\"\\ud83d\\ude00\"}")
        #expect(
            value?.jsonText(sortKeys: false, compact: false)
                == "{\"z\": [1, 2.0, \"it's\", null, true], \"a\": {\"k\": \"v\\n\"}, \"\\u00e9\": \"\\ud83d\\ude00\"}")
        #expect(PyValue.reprString("a\u{00A0}b\u{7F}") == "'a\\xa0b\\x7f'")
    }
}
