import Foundation
import Logging
import NIOCore
import OspreyCore
import Testing

@testable import OspreyServing

/// A model's fleet outside any endpoint (batch transform): an inference pipeline passes each answer to the next container,
/// for single calls and batches, and a request the first container refuses goes no further.
@Suite(.timeLimit(.minutes(5))) struct ModelFleetTests {
    typealias S = ServingTestSupport

    /// `OP` (add or mul) with `N` on every number of the body; a body with "fail" raises.
    static let stage = """
        import os

        def model_fn(model_dir):
            return (os.environ["OP"], int(os.environ["N"]))

        def transform_fn(model, body, content_type, accept):
            text = body if isinstance(body, str) else body.decode()
            if "fail" in text:
                raise ValueError("refused: " + text)
            op, n = model
            values = [int(v) + n if op == "add" else int(v) * n for v in text.split()]
            return " ".join(str(v) for v in values), "text/plain"
        """

    static func pool(_ root: String, _ environment: [String: String]) async throws -> WorkerPool {
        let folder = try S.modelFolder(["code/inference.py": Self.stage], in: root)
        let python = try await S.python()
        let pool = WorkerPool(label: "fleet-test", logger: Logger(label: "test")) { _ in
            try await PythonWorker.start(
                S.launch(folder, root: root, command: [python], environment: environment), executor: S.executor)
        }
        try await pool.grow(by: 1)
        return pool
    }

    @Test func aPipelinePassesEachAnswerOn() async throws {
        let root = try S.temporaryFolder("fleet")
        let add = try await Self.pool(root + "/add", ["OP": "add", "N": "1"])
        let mul = try await Self.pool(root + "/mul", ["OP": "mul", "N": "10"])
        let fleet = ModelFleet(stages: [add, mul], root: root)
        #expect(fleet.workerCount == 1)

        let one = try await fleet.invoke(S.request("1 2 3", contentType: "text/plain"))
        #expect(one.status == 200 && S.text(one) == "20 30 40")

        let answers = try await fleet.invokeBatch(
            ["4", "fail 5", "6 7"].map { S.request($0, contentType: "text/plain") })
        #expect(answers.map(\.status) == [200, 500, 200])
        #expect(S.text(answers[0]) == "50" && S.text(answers[2]) == "70 80")
        #expect(S.text(answers[1]).contains("refused: fail 5"))

        await fleet.close()
        #expect(!FileManager.default.fileExists(atPath: root))
        await #expect(throws: OspreyError.self) { try await fleet.invoke(S.request("1", contentType: "text/plain")) }
    }
}
