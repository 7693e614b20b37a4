import Foundation
import Testing

/// `osprey train`, `osprey jobs` and `osprey images` against a real `osprey server`, as a user types them.
@Suite(
    "EndToEnd: training through the CLI",
    .enabled(if: (try? EndToEnd.ospreyBinary()) != nil, "no osprey executable: build with `swift build --build-tests`"),
    .timeLimit(.minutes(5))
)
struct EndToEndTrainCLITests {
    @Test("train uploads and follows; jobs list/logs/metrics/rerun/describe; a failing job exits 1 with its code")
    func trainThroughTheCLI() async throws {
        try await EndToEnd.withServer("train-cli") { server in
            let work = server.scratch.appendingPathComponent("cli-job")
            let source = work.appendingPathComponent("src")
            let data = work.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try """
            import argparse, os, sys
            p = argparse.ArgumentParser(); p.add_argument("--epochs", type=int); p.add_argument("--fail", default="no")
            a = p.parse_args()
            rows = open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "rows.csv")).read().splitlines()
            print(f"cli-job epochs={a.epochs} rows={len(rows)} greeting={os.environ['GREETING']}")
            print(f"loss={1.0 / a.epochs:.2f}")
            if a.fail == "yes":
                sys.exit(4)
            open(os.path.join(os.environ["SM_MODEL_DIR"], "m.txt"), "w").write("m")
            """.write(to: source.appendingPathComponent("train.py"), atomically: true, encoding: .utf8)
            try "a\nb\nc\n".write(to: data.appendingPathComponent("rows.csv"), atomically: true, encoding: .utf8)

            let train = #""$OSPREY" train "$WORK/src" --entry-point train.py --data train="$WORK/data" --hp epochs=4 "#
                + #"--env GREETING=hi --name cli-job --wait --endpoint "$ENDPOINT""#
            let trained = try await Self.shell(server, train, work: work)
            #expect(trained.succeeded, "\(trained)")
            #expect(trained.stdout.contains("cli-job epochs=4 rows=3 greeting=hi"), "\(trained.stdout)")
            #expect(trained.stdout.contains("cli-job Completed; model: s3://osprey-training/output/cli-job/output/model.tar.gz"))

            let listed = try await Self.shell(server, #""$OSPREY" jobs list --endpoint "$ENDPOINT""#, work: work)
            #expect(listed.stdout.hasPrefix("cli-job\tCompleted\t"), "\(listed)")
            let logs = try await Self.shell(server, #""$OSPREY" jobs logs cli-job --endpoint "$ENDPOINT""#, work: work)
            #expect(logs.stdout.contains("loss=0.25"), "\(logs)")
            let rerun = try await Self.shell(server, #""$OSPREY" jobs rerun cli-job --as cli-job-2 --wait --endpoint "$ENDPOINT""#, work: work)
            #expect(rerun.succeeded && rerun.stdout.contains("cli-job-2 Completed"), "\(rerun)")
            let described = try await Self.shell(server, #""$OSPREY" jobs describe cli-job-2 --endpoint "$ENDPOINT""#, work: work)
            #expect(described.stdout.contains(#""TrainingJobName":"cli-job-2""#), "\(described)")
            let images = try await Self.shell(server, #""$OSPREY" images list --endpoint "$ENDPOINT""#, work: work)
            #expect(images.stdout.contains("osprey/python") && images.stdout.contains("sagemaker-scikit-learn"), "\(images)")

            let failing = try await Self.shell(
                server, #""$OSPREY" train "$WORK/src" --entry-point train.py --data train="$WORK/data" --hp epochs=2 --hp fail=yes "#
                    + #"--env GREETING=x --name cli-fail --wait --endpoint "$ENDPOINT""#, work: work)
            #expect(failing.ending == .exited(1), "\(failing)")
            #expect(failing.stderr.hasPrefix("osprey: TrainingJobFailed: cli-fail ended Failed"), "\(failing)")
            let missing = try await Self.shell(server, #""$OSPREY" jobs describe nope --endpoint "$ENDPOINT""#, work: work)
            #expect(missing.ending == .exited(1) && missing.stderr.hasPrefix("osprey: ResourceNotFound:"), "\(missing)")
        }
    }

    static func shell(_ server: ServerProcess, _ script: String, work: URL) async throws -> ProcessOutcome {
        try await EndToEndSecretsCLITests.shell(server, "export WORK='\(work.path)'; " + script)
    }
}
