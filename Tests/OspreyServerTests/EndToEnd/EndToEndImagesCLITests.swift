import Foundation
import OspreyCore
import Testing

/// `osprey images add|list|remove` and `osprey jobs metrics` against a real `osprey server`, as a user types them.
@Suite(
    "EndToEnd: osprey images and jobs metrics through the CLI",
    .enabled(if: (try? EndToEnd.ospreyBinary()) != nil, "no osprey executable: build with `swift build --build-tests`"),
    .timeLimit(.minutes(4))
)
struct EndToEndImagesCLITests {
    /// The machine's Python 3 interpreter itself (not a shim), for an `--python` mapping.
    static let python: String? = {
        guard let python3 = EndToEnd.which("python3") else { return nil }
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: python3)
        process.arguments = ["-c", "import os, sys; print(os.path.realpath(sys.executable))"]
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        let path = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !path.isEmpty ? path : nil
    }()

    static func run(_ server: ServerProcess, _ script: String) async throws -> ProcessOutcome {
        try await EndToEndSecretsCLITests.shell(server, script)
    }

    @Test("add maps an image to an interpreter a job then runs with; list marks user mappings; remove; metrics show the series")
    func imagesAndMetricsThroughTheCLI() async throws {
        let python = try #require(Self.python, "no python3 on the PATH")
        try await EndToEnd.withServer("images-cli") { server in
            let pattern = "e2e.example.com/team/*"
            let add = #""$OSPREY" images add '\#(pattern)' --python '\#(python)' --name e2e-python --endpoint "$ENDPOINT""#
            let added = try await Self.run(server, add)
            #expect(added.succeeded && added.stdout == "added \(pattern) -> environment e2e-python: (interpreter \(python))\n", "\(added)")

            let listed = try await Self.run(server, #""$OSPREY" images list --endpoint "$ENDPOINT""#)
            #expect(listed.succeeded, "\(listed)")
            let user = "\(pattern)  [user]\n    environment e2e-python: (interpreter \(python))\n"
            #expect(listed.stdout.hasPrefix(user + "osprey/python[:tag]  [built-in]"), "\(listed)")

            let again = try await Self.run(server, #""$OSPREY" images add '\#(pattern)' --packages pandas --endpoint "$ENDPOINT""#)
            #expect(again.ending == .exited(1) && again.stderr.hasPrefix("osprey: ResourceInUse:"), "\(again)")
            let unsafe = try await Self.run(server, #""$OSPREY" images add 'x/*' --packages 'pandas;rm -rf /' --endpoint "$ENDPOINT""#)
            #expect(unsafe.ending == .exited(1) && unsafe.stderr.hasPrefix("osprey: ValidationException:"), "\(unsafe)")
            let neither = try await Self.run(server, #""$OSPREY" images add 'x/*' --endpoint "$ENDPOINT""#)
            #expect(!neither.succeeded && neither.stderr.contains("exactly one of --python or --packages"), "\(neither)")

            // A job on a mapped image, its metrics through the CLI.
            let request: JSONValue = .object([
                "TrainingJobName": .string("cli-metrics"), "RoleArn": .string("arn:aws:iam::000000000000:role/e2e"),
                "AlgorithmSpecification": .object([
                    "TrainingImage": .string("e2e.example.com/team/trainer:1"), "TrainingInputMode": .string("File"),
                    "ContainerEntrypoint": .array([
                        .string("/bin/sh"), .string("-c"),
                        .string(#"for v in 0.9 0.5 0.25; do echo "loss=$v"; done; python -c 'import os, sys; print("ran", os.path.realpath(sys.executable))'"#),
                    ]),
                    "MetricDefinitions": .array([.object(["Name": .string("loss"), "Regex": .string("loss=([0-9.]+)")])]),
                ]),
                "OutputDataConfig": .object(["S3OutputPath": .string("s3://cli-metrics/output")]),
                "ResourceConfig": .object(["InstanceType": .string("ml.m5.large"), "InstanceCount": .number(1), "VolumeSizeInGB": .number(1)]),
                "StoppingCondition": .object(["MaxRuntimeInSeconds": .number(120)]),
            ])
            let file = server.root.appendingPathComponent("create-job.json")
            try Data(request.text.utf8).write(to: file)
            let created = try await Self.run(
                server,
                #"""
                curl -sf -X PUT -H "Authorization: Bearer $AWS_SECRET_ACCESS_KEY" "$ENDPOINT/cli-metrics" && \
                curl -sf -H "Authorization: Bearer $AWS_SECRET_ACCESS_KEY" -H 'X-Amz-Target: SageMaker.CreateTrainingJob' \
                  -H 'Content-Type: application/x-amz-json-1.1' --data-binary @'\#(file.path)' "$ENDPOINT/" && \
                "$OSPREY" jobs logs cli-metrics -f --endpoint "$ENDPOINT"
                """#)
            #expect(created.succeeded && created.stdout.contains("ran \(python)"), "\(created)")

            let metrics = try await Self.run(server, #""$OSPREY" jobs metrics cli-metrics --endpoint "$ENDPOINT""#)
            #expect(metrics.succeeded && metrics.stdout == "loss  count 3  last 0.25  min 0.25  max 0.9  █▄▁\n", "\(metrics)")
            let points = try await Self.run(server, #""$OSPREY" jobs metrics cli-metrics --points --metric loss --endpoint "$ENDPOINT""#)
            let rows = points.stdout.split(separator: "\n").map { $0.split(separator: "\t").dropFirst().joined(separator: " ") }
            #expect(points.succeeded && rows == ["loss 0.9", "loss 0.5", "loss 0.25"], "\(points)")
            let unknown = try await Self.run(server, #""$OSPREY" jobs metrics no-such-job --endpoint "$ENDPOINT""#)
            #expect(unknown.ending == .exited(1) && unknown.stderr.hasPrefix("osprey: ResourceNotFound:"), "\(unknown)")

            let removed = try await Self.run(server, #""$OSPREY" images remove '\#(pattern)' --endpoint "$ENDPOINT""#)
            #expect(removed.succeeded && removed.stdout == "removed \(pattern)\n", "\(removed)")
            let after = try await Self.run(server, #""$OSPREY" images list --endpoint "$ENDPOINT""#)
            #expect(after.succeeded && !after.stdout.contains("[user]") && after.stdout.hasPrefix("osprey/python[:tag]  [built-in]"), "\(after)")
            let twice = try await Self.run(server, #""$OSPREY" images remove '\#(pattern)' --endpoint "$ENDPOINT""#)
            #expect(twice.ending == .exited(1) && twice.stderr.hasPrefix("osprey: ResourceNotFound:"), "\(twice)")
        }
    }
}
