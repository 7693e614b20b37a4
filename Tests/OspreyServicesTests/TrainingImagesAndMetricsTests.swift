import Foundation
import Logging
import OspreyArtifacts
import OspreyCompute
import OspreyCore
import OspreyServices
import OspreyStore
import Testing

/// Real training jobs on the local executor over a real SQLite store: a user mapping's interpreter runs the job, and the
/// values its MetricDefinitions match are stored as series.
@Suite("Training: user images and metric series", .timeLimit(.minutes(5)))
struct TrainingImagesAndMetricsTests {
    static let account = Deployment.rootAccount
    static let bucket = "training-tests"

    /// A service over a fresh store, data folder and bucket; Python environments go where the server keeps them.
    static func withTraining(_ body: (TrainingService, SQLMetadataStore, _ folder: String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-training-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let store = try await SQLMetadataStore.open(url: "sqlite:\(folder)/data/osprey.db", logger: logger)
        do {
            let blobs = try await LocalArtifactStore(root: folder + "/data/blobs")
            let objects = ObjectService(store: store, blobs: blobs, clock: SystemClock(), ids: RandomIDGenerator(), deployment: Deployment())
            _ = try await objects.createBucket(bucket, accountId: account)
            let environment = ProcessInfo.processInfo.environment
            let cache = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
            let training = TrainingService(
                store: store, objects: objects, executor: LocalExecutor(logger: logger), dataDir: folder + "/data",
                environmentsDir: environment["OSPREY_ENVIRONMENTS_DIR"] ?? cache + "/osprey/environments", hiddenPaths: [folder + "/data"],
                clock: SystemClock(), deployment: Deployment(), logger: logger, secret: { _, _ in nil }
            )
            try await body(training, store, folder)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// A CreateTrainingJob request whose container runs `script` with `/bin/sh -c` (`python` is the environment's).
    static func request(_ name: String, image: String, script: String, metrics: [String: String] = [:]) -> JSONValue {
        let definitions = metrics.sorted { $0.key < $1.key }.map { JSONValue.object(["Name": .string($0.key), "Regex": .string($0.value)]) }
        return .object([
            "TrainingJobName": .string(name), "RoleArn": .string("arn:aws:iam::000000000000:role/test"),
            "AlgorithmSpecification": .object([
                "TrainingImage": .string(image), "TrainingInputMode": .string("File"),
                "ContainerEntrypoint": .array([.string("/bin/sh"), .string("-c"), .string(script)]), "MetricDefinitions": .array(definitions),
            ]),
            "OutputDataConfig": .object(["S3OutputPath": .string("s3://\(bucket)/output")]),
            "ResourceConfig": .object(["InstanceType": .string("ml.m5.large"), "InstanceCount": .number(1), "VolumeSizeInGB": .number(1)]),
            "StoppingCondition": .object(["MaxRuntimeInSeconds": .number(120)]),
        ])
    }

    static func waitUntilDone(_ training: TrainingService, _ name: String) async throws -> TrainingJob {
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            let job = try await training.describe(name: name, accountId: account)
            if job.status.isTerminal { return job }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw OspreyError(.internalError, "Training job \(name) did not finish in time.")
    }

    static func logLines(_ store: SQLMetadataStore, _ name: String) async throws -> [String] {
        let streams = try await store.logStreams(
            accountId: account, group: TrainingService.logGroup, prefix: name + "/", orderByLastEvent: false, descending: false, after: nil,
            limit: 10)
        var lines: [String] = []
        for stream in streams {
            lines += try await store.logEvents(
                accountId: account, group: TrainingService.logGroup, stream: stream.name, startTime: nil, endTime: nil, afterSequence: nil,
                beforeSequence: nil, limit: 1000
            ).map(\.message)
        }
        return lines
    }

    /// A real venv made with the machine's Python 3, outside any Osprey folder.
    static func makeVenv(in folder: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "venv", "--without-pip", folder + "/team-venv"]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return folder + "/team-venv/bin/python"
    }

    @Test func aUserMappingsInterpreterRunsTheJob() async throws {
        try await Self.withTraining { training, store, folder in
            let python = try Self.makeVenv(in: folder)
            let images = ImageService(store: store)
            let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/trainer:1.0"
            let script = #"python -c 'import sys; print("prefix", sys.prefix); print("executable", sys.executable)'"#

            // Unknown before the mapping exists, and the error lists what Osprey knows.
            let unknown = await SecretServiceTests.errorCode {
                _ = try await training.create(Self.request("before-mapping", image: image, script: script), accountId: Self.account)
            }
            #expect(unknown == .validation)

            _ = try await images.add(pattern: "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/*", python: python, packages: nil, name: "team")
            _ = try await training.create(Self.request("user-python", image: image, script: script), accountId: Self.account)
            let job = try await Self.waitUntilDone(training, "user-python")
            #expect(job.status == .completed, "\(job.failureReason ?? "")")
            let lines = try await Self.logLines(store, "user-python")
            #expect(lines.contains("prefix " + folder + "/team-venv"), "\(lines)")
            #expect(lines.contains("executable " + python), "\(lines)")

            // An interpreter removed after the mapping was added fails the job with a reason naming it.
            try FileManager.default.removeItem(atPath: folder + "/team-venv")
            _ = try await training.create(Self.request("interpreter-gone", image: image, script: script), accountId: Self.account)
            let failed = try await Self.waitUntilDone(training, "interpreter-gone")
            #expect(failed.status == .failed)
            #expect(failed.failureReason?.contains(python) == true, "\(failed.failureReason ?? "")")
        }
    }

    @Test func everyMatchedValueIsStoredInOrderWithItsLogTime() async throws {
        try await Self.withTraining { training, store, folder in
            let python = try Self.makeVenv(in: folder)
            _ = try await ImageService(store: store).add(pattern: "metrics/job:*", python: python, packages: nil, name: "metrics")
            let script = """
                echo 'epoch 1 loss=0.9 acc=0.10'; echo 'loss=not-a-number'; echo 'epoch 2 loss=0.5 acc=0.55'; \
                python -c 'print("epoch 3 loss=0.25")'; echo 'acc=0.75 done'
                """
            let started = Date()
            let request = Self.request(
                "metric-series", image: "metrics/job:1", script: script, metrics: ["loss": "loss=([0-9.]+)", "accuracy": "acc=([0-9.]+)"])
            _ = try await training.create(request, accountId: Self.account)
            let job = try await Self.waitUntilDone(training, "metric-series")
            #expect(job.status == .completed, "\(job.failureReason ?? "")")

            let series = try await TrainingMetricsService(store: store).series(jobName: "metric-series", accountId: Self.account)
            #expect(series["loss"]?.map(\.value) == [0.9, 0.5, 0.25])
            #expect(series["accuracy"]?.map(\.value) == [0.10, 0.55, 0.75])
            let times = (series["loss"] ?? []) .map(\.timestamp) + (series["accuracy"] ?? []).map(\.timestamp)
            let window = Int64(started.timeIntervalSince1970 * 1000 - 1000)...Int64(job.lastModifiedTime.timeIntervalSince1970 * 1000 + 1000)
            #expect(times.allSatisfy(window.contains), "\(times) not in \(window)")
            #expect(series["loss"]?.map(\.timestamp) == series["loss"]?.map(\.timestamp).sorted())
            // The final values are the series' last ones.
            #expect(job.finalMetrics.first { $0.name == "loss" }?.value == 0.25)
            #expect(job.finalMetrics.first { $0.name == "accuracy" }?.value == 0.75)

            let loss = try await TrainingMetricsService(store: store).series(jobName: "metric-series", accountId: Self.account, metric: "loss")
            #expect(Array(loss.keys) == ["loss"])
            let missing = await SecretServiceTests.errorCode {
                _ = try await TrainingMetricsService(store: store).series(jobName: "no-such-job", accountId: Self.account)
            }
            #expect(missing == .notFound)
        }
    }
}
