import ArgumentParser
import Foundation
import Logging
import NIOCore
import OspreyArtifacts
import OspreyCore
import OspreyServer

extension Osprey {
    /// `osprey quickstart`: starts a server on the embedded default (own free port, fresh data dir) and walks through the main job.
    ///
    /// The main job: upload a small dataset, train a model on it with a standard-library-only script through the SageMaker
    /// API (its log streamed from CloudWatch Logs), register it as a model, deploy it to an endpoint and query it.
    struct Quickstart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the whole main job on a fresh embedded server and exit.")

        @Option(name: .customLong("data-dir"), help: "Data folder to use (default: a new temporary folder).") var dataDir: String?

        func run() async throws {
            let folder = dataDir ?? NSTemporaryDirectory() + "osprey-quickstart-" + UUID().uuidString.prefix(8).lowercased()
            var configuration = ServerConfiguration(dataDir: folder)
            configuration.port = 0
            configuration.rootAccessKeyId = "OSPKQUICKSTART000001"
            configuration.rootSecretAccessKey = (0..<40).map { _ in String("abcdefghijklmnopqrstuvwxyz0123456789".randomElement()!) }.joined()
            configuration.logLevel = "warning"
            let port = PortBox()
            var logger = Logger(label: "osprey")
            logger.logLevel = .warning
            let server = OspreyServer(configuration: configuration, logger: logger)
            let serverTask = Task { try await server.run { await port.set($0, stop: $1) } }
            defer { serverTask.cancel() }
            guard let bound = await port.wait(seconds: 60) else {
                serverTask.cancel()
                _ = try? await serverTask.value
                throw OspreyError(.unavailable, "The quickstart server did not start.")
            }
            let endpoint = "http://127.0.0.1:\(bound)"
            print("Osprey is running at \(endpoint) (data in \(folder))")
            try await runClient {
                try await roundTrip(endpoint: endpoint, configuration: configuration)
                let job = try await train(endpoint: endpoint, configuration: configuration)
                try await deployAndPredict(job, endpoint: endpoint, configuration: configuration)
            }
            await port.stop()
            try await serverTask.value
            print("Done. Point boto3 or awscli at a server of your own with `osprey server` and AWS_ENDPOINT_URL.")
        }

        private func roundTrip(endpoint: String, configuration: ServerConfiguration) async throws {
            let s3 = S3Client(
                endpoint: endpoint, region: "us-east-1", accessKeyId: configuration.rootAccessKeyId!,
                secretAccessKey: configuration.rootSecretAccessKey!
            )
            let bucket = "quickstart"
            try await s3.createBucket(bucket)
            print("1. created bucket s3://\(bucket)")
            let rows = (0..<100).map { "\($0),\(Double($0) * 0.5 + 1)" }.joined(separator: "\n")
            let body = ByteBuffer(string: "x,y\n" + rows + "\n")
            let etag = try await s3.putObject(
                bucket: bucket, key: "data/train.csv", contentType: "text/csv", length: Int64(body.readableBytes), body: ByteBufferSequence(body)
            )
            print("2. uploaded s3://\(bucket)/data/train.csv (\(body.readableBytes) bytes, ETag \(etag))")
            let listing = try await s3.listObjects(bucket: bucket, prefix: "data/", delimiter: nil)
            print("3. listed s3://\(bucket)/data/: \(listing.objects.map(\.key).joined(separator: ", "))")
            var downloaded = ByteBuffer()
            try await s3.getObject(bucket: bucket, key: "data/train.csv", range: nil) { chunk in
                var chunk = chunk
                downloaded.writeBuffer(&chunk)
            }
            guard downloaded == body else { throw OspreyError(.internalError, "The downloaded object differs from the uploaded one.") }
            print("4. downloaded it again: \(downloaded.readableBytes) bytes, identical")
            let source = ByteBuffer(bytes: try Self.sourceArchive())
            try await s3.putObject(
                bucket: bucket, key: "code/sourcedir.tar.gz", contentType: "application/gzip", length: Int64(source.readableBytes),
                body: ByteBufferSequence(source)
            )
        }

        /// Trains `y = a·x + b` on the uploaded CSV through CreateTrainingJob, streaming the job's log lines as they arrive;
        /// returns the job's name.
        private func train(endpoint: String, configuration: ServerConfiguration) async throws -> String {
            let api = AWSJSONClient(endpoint: endpoint, secret: configuration.rootSecretAccessKey!)
            let job = "quickstart-linear-regression"
            let request: JSONValue = .object([
                "TrainingJobName": .string(job),
                "RoleArn": .string("arn:aws:iam::000000000000:role/Osprey"),
                "AlgorithmSpecification": .object(["TrainingImage": .string("osprey/python"), "TrainingInputMode": .string("File")]),
                "HyperParameters": .object([
                    "epochs": .string("200"), "learning-rate": .string("0.0005"), "sagemaker_program": .string("\"train.py\""),
                    "sagemaker_submit_directory": .string("\"s3://quickstart/code/sourcedir.tar.gz\""),
                ]),
                "InputDataConfig": .array([
                    .object([
                        "ChannelName": .string("train"),
                        "DataSource": .object(["S3DataSource": .object(["S3DataType": .string("S3Prefix"), "S3Uri": .string("s3://quickstart/data/")])]),
                    ])
                ]),
                "OutputDataConfig": .object(["S3OutputPath": .string("s3://quickstart/output")]),
                "ResourceConfig": .object(["InstanceType": .string("ml.m5.large"), "InstanceCount": .number(1), "VolumeSizeInGB": .number(1)]),
                "StoppingCondition": .object(["MaxRuntimeInSeconds": .number(600)]),
            ])
            let started = ContinuousClock.now
            _ = try await api.call("SageMaker.CreateTrainingJob", request)
            print("5. started training job \(job) (osprey/python, script train.py); its log:")
            let described = try await TrainingClient(api: api).follow(job, print: { print("   | \($0)") })
            let status = described["TrainingJobStatus"]?.stringValue ?? ""
            guard status == "Completed" else {
                throw OspreyError("TrainingFailed", "The training job ended \(status): \(described["FailureReason"]?.stringValue ?? "")")
            }
            let model = described["ModelArtifacts"]?["S3ModelArtifacts"]?.stringValue ?? ""
            print("6. training job \(status) in \(started.duration(to: .now).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
            print("   the model is at \(model)")
            return job
        }

        /// Registers the trained model (CreateModel with `inference.py` from the job's source), deploys it to an endpoint
        /// and calls it through the SageMaker Runtime.
        private func deployAndPredict(_ job: String, endpoint: String, configuration: ServerConfiguration) async throws {
            let serving = ServingClient(api: AWSJSONClient(endpoint: endpoint, secret: configuration.rootSecretAccessKey!))
            let name = "quickstart-endpoint"
            let started = ContinuousClock.now
            _ = try await serving.deploy(job, endpoint: name, instanceCount: 1, instanceType: "ml.m5.large", entryPoint: "inference.py", wait: true)
            let took = started.duration(to: .now).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))
            print("7. registered model \(name)-model and deployed it: endpoint \(name) is InService after \(took)")
            let question = #"{"x": [0, 10, 50]}"#
            let answer = try await serving.invoke(name, body: Array(question.utf8), contentType: "application/json", accept: nil, variant: nil)
            print("8. POST /endpoints/\(name)/invocations \(question) -> \(String(decoding: answer.body, as: UTF8.self)) (variant \(answer.variant))")
        }

        /// `sourcedir.tar.gz` with standard-library-only `train.py` and `inference.py`.
        static func sourceArchive() throws -> [UInt8] {
            let folder = NSTemporaryDirectory() + "osprey-quickstart-source-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try trainScript.write(toFile: folder + "/train.py", atomically: true, encoding: .utf8)
            try inferenceScript.write(toFile: folder + "/inference.py", atomically: true, encoding: .utf8)
            return try Train.pack(folder)
        }

        static let trainScript = """
            import argparse, csv, json, os

            parser = argparse.ArgumentParser()
            parser.add_argument("--epochs", type=int, default=100)
            parser.add_argument("--learning-rate", type=float, default=0.001)
            args = parser.parse_args()

            rows = list(csv.DictReader(open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv"))))
            xs, ys = [float(r["x"]) for r in rows], [float(r["y"]) for r in rows]
            print(f"training on {len(xs)} rows for {args.epochs} epochs")
            a, b = 0.0, 0.0
            for epoch in range(1, args.epochs + 1):
                grad_a = sum((a * x + b - y) * x for x, y in zip(xs, ys)) / len(xs)
                grad_b = sum((a * x + b - y) for x, y in zip(xs, ys)) / len(xs)
                a, b = a - args.learning_rate * grad_a, b - args.learning_rate * 100 * grad_b
                if epoch % 50 == 0:
                    loss = sum((a * x + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
                    print(f"epoch {epoch}: loss={loss:.4f}")
            with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as f:
                json.dump({"a": a, "b": b}, f)
            print(f"learned y = {a:.3f} * x + {b:.3f}")
            """

        static let inferenceScript = """
            import json, os

            def model_fn(model_dir):
                with open(os.path.join(model_dir, "model.json")) as f:
                    return json.load(f)

            def input_fn(body, content_type):
                if content_type != "application/json":
                    raise ValueError(f"send application/json, not {content_type}")
                return json.loads(body)["x"]

            def predict_fn(xs, model):
                return [round(model["a"] * x + model["b"], 3) for x in xs]

            def output_fn(ys, accept):
                return json.dumps({"y": ys}), "application/json"
            """
    }
}

/// Hands the bound port and the way to stop from the server task to the command.
actor PortBox {
    private var port: Int?
    private var stopServer: (@Sendable () async -> Void)?

    func set(_ port: Int, stop: @escaping @Sendable () async -> Void) {
        self.port = port
        self.stopServer = stop
    }

    func stop() async { await stopServer?() }

    func wait(seconds: Int) async -> Int? {
        for _ in 0..<(seconds * 20) {
            if let port { return port }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}
