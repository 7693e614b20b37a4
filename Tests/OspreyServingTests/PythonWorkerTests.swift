import Foundation
import NIOCore
@testable import OspreyCompute
import OspreyCore
import Testing

@testable import OspreyServing

@Suite(.timeLimit(.minutes(5))) struct PythonWorkerTests {
    typealias S = ServingTestSupport

    /// model_fn reads a JSON file of the model dir; input_fn and output_fn are the user's; a sibling module is importable.
    static let scaler = """
        import json, os
        from helper import parse

        def model_fn(model_dir):
            with open(os.path.join(model_dir, "weights.json")) as f:
                return json.load(f)

        def input_fn(body, content_type):
            return {"kind": type(body).__name__, "values": parse(body), "content_type": content_type}

        def predict_fn(data, model):
            data["values"] = [v * model["scale"] for v in data["values"]]
            return data

        def output_fn(prediction, accept):
            text = "%s %s %s %s" % (prediction["kind"], prediction["content_type"], accept, prediction["values"])
            return text, "text/x-scaled"
        """

    @Test func userHandlersRunWithTheModelDirectory() async throws {
        let root = try S.temporaryFolder("user")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let worker = try await S.startPython(
            [
                "weights.json": #"{"scale": 3}"#, "code/inference.py": Self.scaler,
                "code/helper.py": "def parse(body):\n    return [int(x) for x in (body if isinstance(body, str) else body.decode()).split()]\n",
            ],
            root: root
        )
        let json = try await worker.invoke(S.request("1 2", contentType: "application/json", accept: "text/plain"))
        #expect(json.status == 200)
        #expect(json.contentType == "text/x-scaled")
        #expect(S.text(json) == "str application/json text/plain [3, 6]")
        // The toolkit hands bodies of other types over as bytes; no Accept means application/json.
        let binary = try await worker.invoke(S.request("5", contentType: "application/octet-stream"))
        #expect(S.text(binary) == "bytes application/octet-stream application/json [15]")
        #expect(await worker.ping())
        #expect(worker.inFlight == 0)
        await worker.stop()
        await worker.stop()  // idempotent
        #expect(!(await worker.ping()))
        await #expect {
            try await worker.invoke(S.request("1"))
        } throws: { error in
            error.workerFailure?.kind == .stopped && error.workerFailure?.retryable == true
        }
    }

    @Test func worksWithoutAPrivateOptML() async throws {
        let root = try S.temporaryFolder("plain")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try S.modelFolder(
            [
                "weights.json": #"{"scale": 2}"#, "code/inference.py": Self.scaler,
                "code/helper.py": "def parse(body):\n    return [int(x) for x in body.split()]\n",
            ],
            in: root
        )
        let worker = try await PythonWorker.start(
            S.launch(folder, root: root, command: [try await S.python()]), executor: LocalExecutor(isolation: .none(reason: "test"))
        )
        let response = try await worker.invoke(S.request("4", accept: "text/plain"))
        #expect(S.text(response) == "str application/json text/plain [8]")
        await worker.stop()
    }

    @Test func startTimeoutKillsASlowModel() async throws {
        let root = try S.temporaryFolder("slowload")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try S.modelFolder(["code/inference.py": "import time\n\ndef model_fn(model_dir):\n    time.sleep(60)\n"], in: root)
        let python = try await S.python()
        var launch = S.launch(folder, root: root, command: [python])
        launch.startTimeout = .milliseconds(300)
        let started = ContinuousClock.now
        await #expect {
            _ = try await PythonWorker.start(launch, executor: S.executor)
        } throws: { error in
            guard let error = error as? OspreyError else { return false }
            return error.code == .unavailable && error.message.contains("did not load its model within") && error.message.contains("ended (")
        }
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func largeBodiesRoundTrip() async throws {
        let root = try S.temporaryFolder("large")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            def model_fn(model_dir):
                return None

            def transform_fn(model, body, content_type, accept):
                return body[::-1], "application/octet-stream"
            """
        let worker = try await S.startPython(["code/inference.py": code], root: root)
        let bytes = (0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let request = InvocationRequest(body: ByteBuffer(bytes: bytes), contentType: "application/octet-stream")
        async let first = worker.invoke(request)
        async let second = worker.invokeBatch([request, InvocationRequest(body: ByteBuffer(string: "abc"), contentType: "x/y")])
        let (single, batch) = try await (first, second)
        #expect(Array(single.body.readableBytesView) == bytes.reversed())
        #expect(batch.count == 2)
        #expect(Array(batch[0].body.readableBytesView) == bytes.reversed())
        #expect(S.text(batch[1]) == "cba")
        await worker.stop()
    }

    /// Sequential round trips through a trivial transform_fn (printed, not asserted).
    @Test func measuresRoundTrip() async throws {
        let root = try S.temporaryFolder("latency")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = "def model_fn(model_dir):\n    return None\n\ndef transform_fn(model, body, content_type, accept):\n    return body\n"
        let worker = try await S.startPython(["code/inference.py": code], root: root)
        var samples: [Duration] = []
        for index in 0..<500 {
            let started = ContinuousClock.now
            let response = try await worker.invoke(S.request(String(index), contentType: "application/octet-stream"))
            samples.append(ContinuousClock.now - started)
            #expect(S.text(response) == String(index))
        }
        samples.sort()
        print("python worker round trip: p50 \(samples[250]), p99 \(samples[495])")
        await worker.stop()
    }

    @Test func defaultHandlersWithoutNumpy() async throws {
        let root = try S.temporaryFolder("defaults")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let model = """
            class Summer:
                def predict(self, rows):
                    return [sum(row) for row in rows]

            def model_fn(model_dir):
                return Summer()
            """
        let worker = try await S.startPython(["code/inference.py": model], root: root)
        defer { Task { await worker.stop() } }
        let json = try await worker.invoke(S.request("[[1, 2], [3, 4.5]]"))
        #expect(json.status == 200)
        #expect(json.contentType == "application/json")
        #expect(S.text(json) == "[3, 7.5]")
        let csv = try await worker.invoke(S.request("1,2\n3,4\n", contentType: "text/csv", accept: "text/csv"))
        #expect(S.text(csv) == "3.0\n7.0\n")
        #expect(csv.contentType == "text/csv")
        let star = try await worker.invoke(S.request("[[1]]", accept: "*/*"))
        #expect(star.contentType == "application/json")

        let unsupported = try await worker.invoke(S.request("x", contentType: "image/png"))
        #expect(unsupported.status == 415)
        #expect(S.text(unsupported).contains("'image/png' is not supported"))
        let notAcceptable = try await worker.invoke(S.request("[[1]]", accept: "application/xml"))
        #expect(notAcceptable.status == 406)
        #expect(S.text(notAcceptable).contains("'application/xml'"))
        let badJSON = try await worker.invoke(S.request("{nope"))
        #expect(badJSON.status == 400)
        let badCSV = try await worker.invoke(S.request("1,a\n", contentType: "text/csv"))
        #expect(badCSV.status == 400)
        #expect(S.text(badCSV).contains("CSV line 1"))
    }

    @Test func defaultModelFnLoadsAPickle() async throws {
        let root = try S.temporaryFolder("pickle")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try S.modelFolder([:], in: root)
        let python = try await S.python()
        let made = try await CommandRunner.run([
            python, "-c", "import pickle, operator; pickle.dump(operator.itemgetter(1), open('\(folder)/model/model.pkl', 'wb'))",
        ])
        #expect(made.succeeded)
        let worker = try await PythonWorker.start(S.launch(folder, root: root, command: [python]), executor: S.executor)
        defer { Task { await worker.stop() } }
        // No predict method: the model is called.
        let response = try await worker.invoke(S.request("[[1, 2], [3, 4]]"))
        #expect(S.text(response) == "[3, 4]")
    }

    @Test func transformFnWinsAndMayChooseTheContentType() async throws {
        let root = try S.temporaryFolder("transform")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            def model_fn(model_dir):
                return "model"

            def input_fn(body, content_type):
                raise RuntimeError("input_fn must not run when transform_fn is defined")

            def transform_fn(model, body, content_type, accept):
                return "%s|%s|%s|%s" % (model, body.upper(), content_type, accept), "application/x-transformed"
            """
        let worker = try await S.startPython(["code/inference.py": code], root: root)
        defer { Task { await worker.stop() } }
        let response = try await worker.invoke(S.request("abc", contentType: "text/csv", accept: "text/csv"))
        #expect(response.status == 200)
        #expect(S.text(response) == "model|ABC|text/csv|text/csv")
        #expect(response.contentType == "application/x-transformed")
    }

    @Test func handlerErrorsBecomeStatuses() async throws {
        let root = try S.temporaryFolder("errors")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            class Rejected(Exception):
                def __init__(self, message):
                    super().__init__(message)
                    self.status_code = 422
                    self.message = message

            def model_fn(model_dir):
                return None

            def input_fn(body, content_type):
                return body

            def predict_fn(data, model):
                if data == "reject":
                    raise Rejected("the input was rejected")
                raise ValueError("predict exploded on " + data)
            """
        let worker = try await S.startPython(["code/inference.py": code], root: root)
        let failed = try await worker.invoke(S.request("x"))
        #expect(failed.status == 500)
        #expect(S.text(failed) == "predict exploded on x")
        #expect(failed.contentType == "text/plain")
        let rejected = try await worker.invoke(S.request("reject"))
        #expect(rejected.status == 422)
        #expect(S.text(rejected) == "the input was rejected")
        // The worker survives its handlers' errors; their tracebacks are in its log.
        #expect(await worker.ping())
        await worker.stop()
        let log = try String(contentsOfFile: root + "/logs/" + (worker.name) + ".log", encoding: .utf8)
        #expect(log.contains("Traceback"))
        #expect(log.contains("ValueError: predict exploded on x"))
    }

    @Test func modelFnFailureFailsTheStart() async throws {
        let root = try S.temporaryFolder("modelfn")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            def model_fn(model_dir):
                raise ValueError("no weights in " + model_dir)
            """
        await #expect {
            _ = try await S.startPython(["code/inference.py": code], root: root)
        } throws: { error in
            guard let error = error as? OspreyError else { return false }
            return error.code == .validation && error.message.contains("ValueError: no weights in /opt/ml/model")
                || error.message.contains("ValueError: no weights in \(root)/worker/model")
        }
    }

    @Test func exitBeforeReadyReportsTheLog() async throws {
        let root = try S.temporaryFolder("early")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            import os
            print("loading the model failed badly", flush=True)
            os._exit(3)
            """
        await #expect {
            _ = try await S.startPython(["code/inference.py": code], root: root)
        } throws: { error in
            guard let error = error as? OspreyError else { return false }
            return error.code == .validation && error.message.contains("exit code 3") && error.message.contains("loading the model failed badly")
        }
    }

    @Test func noModelAndNoCodeIsAClearError() async throws {
        let root = try S.temporaryFolder("empty")
        defer { try? FileManager.default.removeItem(atPath: root) }
        await #expect {
            _ = try await S.startPython(["notes.txt": "nothing to load"], root: root)
        } throws: { error in
            (error as? OspreyError)?.message.contains("No model_fn in the inference code and no model file") == true
        }
    }

    @Test func crashMidRequestIsRetryableAndTheWorkerIsDead() async throws {
        let root = try S.temporaryFolder("crash")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            import os, time

            def model_fn(model_dir):
                return None

            def transform_fn(model, body, content_type, accept):
                if body == b"crash":
                    time.sleep(0.2)  # the next call is queued by then
                    os._exit(7)
                time.sleep(0.05)
                return body
            """
        let worker = try await S.startPython(["code/inference.py": code], root: root)
        // A pipelined call queued behind the crashing one fails the same way.
        async let crashing = await Result(catching: { try await worker.invoke(S.request("crash", contentType: "application/octet-stream")) })
        try await Self.waitUntilSent(1, to: worker)
        async let queued = await Result(catching: { try await worker.invoke(S.request("after", contentType: "application/octet-stream")) })
        for result in [await crashing, await queued] {
            #expect(throws: OspreyError.self) { try result.get() }
            if case .failure(let error) = result {
                #expect(error.workerFailure?.kind == .exited)
                #expect(error.workerFailure?.retryable == true)
                #expect((error as? OspreyError)?.code == .unavailable)
            }
        }
        #expect(!(await worker.ping()))
        await #expect {
            try await worker.invoke(S.request("again", contentType: "application/octet-stream"))
        } throws: { error in
            error.workerFailure?.kind == .exited
        }
        #expect(await worker.waitUntilExited().contains("exit code 7"))
        #expect(worker.inFlight == 0)
    }

    @Test func timeoutKillsTheWorker() async throws {
        let root = try S.temporaryFolder("timeout")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            import time

            def model_fn(model_dir):
                return None

            def transform_fn(model, body, content_type, accept):
                if body == b"slow":
                    time.sleep(30)
                return body
            """
        let worker = try await S.startPython(["code/inference.py": code], root: root, timeout: .seconds(2))
        let fast = try await worker.invoke(S.request("fast", contentType: "application/octet-stream"))
        #expect(S.text(fast) == "fast")
        let started = ContinuousClock.now
        async let slow = await Result(catching: { try await worker.invoke(S.request("slow", contentType: "application/octet-stream")) })
        try await Self.waitUntilSent(1, to: worker)
        async let behind = await Result(catching: { try await worker.invoke(S.request("behind", contentType: "application/octet-stream")) })
        let (slowResult, behindResult) = await (slow, behind)
        #expect(ContinuousClock.now - started < .seconds(20))
        if case .failure(let error) = slowResult {
            #expect(error.workerFailure?.kind == .timedOut)
            #expect(error.workerFailure?.retryable == false)
            #expect((error as? OspreyError)?.message.contains("did not answer within 2 seconds") == true)
        } else {
            Issue.record("the slow call did not time out")
        }
        if case .failure(let error) = behindResult {
            #expect(error.workerFailure?.kind == .exited)
            #expect(error.workerFailure?.retryable == true)
        } else {
            Issue.record("the call behind the slow one was answered")
        }
        #expect(await worker.waitUntilExited().contains("signal"))
        #expect(!(await worker.ping()))
    }

    @Test func pipelinedCallsOverTwoWorkersAreMatchedToTheirAnswers() async throws {
        let root = try S.temporaryFolder("pipeline")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            import os

            def model_fn(model_dir):
                return os.getpid()

            def transform_fn(model, body, content_type, accept):
                return "%d %d" % (int(body) * 2, model)
            """
        let first = try await S.startPython(["code/inference.py": code], root: root + "/a")
        let second = try await S.startPython(["code/inference.py": code], root: root + "/b")
        let workers = [first, second]
        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<200 {
                group.addTask {
                    let worker = workers.min { $0.inFlight < $1.inFlight }!
                    let response = try await worker.invoke(S.request(String(index), contentType: "text/csv"))
                    #expect(response.status == 200)
                    return (index, S.text(response))
                }
            }
            var answers: [Int: String] = [:]
            for try await (index, text) in group { answers[index] = text }
            return answers
        }
        #expect(answers.count == 200)
        var pids = Set<String>()
        for (index, text) in answers {
            let parts = text.split(separator: " ")
            #expect(parts.first.map(String.init) == String(index * 2))
            if let pid = parts.last { pids.insert(String(pid)) }
        }
        #expect(pids.count == 2)
        for worker in workers { await worker.stop() }
    }

    /// Handlers with one more parameter get the toolkit's context: request headers (custom attributes, target model)
    /// in, a custom-attributes answer out, in single calls and in batches; handlers without it are called as before.
    @Test func handlersTakingAContextSeeCustomAttributes() async throws {
        let root = try S.temporaryFolder("context")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            def model_fn(model_dir, context):
                return {"dir_matches": context.system_properties["model_dir"] == model_dir}

            def input_fn(body, content_type, context):
                headers = context.request_processor[0].get_request_properties()
                return {"body": body, "attributes": context.get_request_header(0, "X-Amzn-SageMaker-Custom-Attributes"),
                        "target": headers.get("x-amzn-sagemaker-target-model"), "accept": headers["Accept"]}

            def predict_fn(data, model):
                data["dir"] = model["dir_matches"]
                return data

            def output_fn(prediction, accept, context):
                if prediction["attributes"]:
                    context.set_response_header(0, "X-Amzn-SageMaker-Custom-Attributes", "seen=" + prediction["attributes"])
                return "%(body)s|%(attributes)s|%(target)s|%(accept)s|%(dir)s" % prediction
            """
        let worker = try await S.startPython(["code/inference.py": code], root: root)
        defer { Task { await worker.stop() } }
        var request = S.request("1", accept: "text/plain")
        request.customAttributes = "trace=7"
        request.targetModel = "m.tar.gz"
        let response = try await worker.invoke(request)
        #expect(S.text(response) == "1|trace=7|m.tar.gz|text/plain|True")
        #expect(response.customAttributes == "seen=trace=7")
        let plain = try await worker.invoke(S.request("2"))
        #expect(S.text(plain) == "2|None|None|application/json|True")
        #expect(plain.customAttributes == nil)
        var second = S.request("4")
        second.customAttributes = "b"
        let batch = try await worker.invokeBatch([S.request("3"), second])
        #expect(batch.map { S.text($0) } == ["3|None|None|application/json|True", "4|b|None|application/json|True"])
        #expect(batch.map(\.customAttributes) == [nil, "seen=b"])
    }

    /// A handler with a parameter count the toolkit cannot call answers 500 naming the function.
    @Test func handlerWithTooManyParametersIsAClearError() async throws {
        let root = try S.temporaryFolder("arity")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = "def model_fn(model_dir):\n    return None\n\ndef input_fn(body, content_type, context, extra):\n    return body\n"
        let worker = try await S.startPython(["code/inference.py": code], root: root)
        defer { Task { await worker.stop() } }
        let response = try await worker.invoke(S.request("[1]"))
        #expect(response.status == 500)
        #expect(S.text(response).contains("input_fn takes 4 arguments but 2 were given"))
    }

    @Test func batchesPredictOnceWhenInputsHaveRows() async throws {
        let root = try S.temporaryFolder("batch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            class Counter:
                calls = 0

                def predict(self, rows):
                    Counter.calls += 1
                    return [[sum(row), Counter.calls] for row in rows]

            def model_fn(model_dir):
                return Counter()
            """
        let worker = try await S.startPython(["code/inference.py": code], root: root)
        defer { Task { await worker.stop() } }
        let responses = try await worker.invokeBatch([
            S.request("[[1, 2]]"), S.request("[[3, 4], [5, 6]]"), S.request("{broken"), S.request("7\n", contentType: "text/csv", accept: "text/csv"),
        ])
        #expect(responses.map(\.status) == [200, 200, 400, 200])
        #expect(S.text(responses[0]) == "[[3, 1]]")
        #expect(S.text(responses[1]) == "[[7, 1], [11, 1]]")
        #expect(S.text(responses[3]) == "7.0,1\n")
        #expect(responses[3].contentType == "text/csv")
        // 1-D inputs are not joined: one predict call each (calls 2 and 3; the second raises).
        let separate = try await worker.invokeBatch([S.request("[[1]]"), S.request("[2]")])
        #expect(separate.map(\.status) == [200, 500])
        #expect(S.text(separate[0]) == "[[1, 2]]")
        #expect(try await worker.invokeBatch([]).isEmpty)
        let single = try await worker.invokeBatch([S.request("[[0, 0]]")])
        #expect(single.map { S.text($0) } == ["[[0, 4]]"])
    }

    @Test func numpyDefaultsAndBatching() async throws {
        guard let python = try await S.numpyPython() else { try Test.cancel("numpy is not importable by any test interpreter") }
        let root = try S.temporaryFolder("numpy")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let code = """
            import numpy as np

            class Model:
                calls = 0

                def predict(self, data):
                    assert isinstance(data, np.ndarray), type(data)
                    Model.calls += 1
                    return np.stack([data.sum(axis=1), np.full(len(data), Model.calls)], axis=1)

            def model_fn(model_dir):
                return Model()
            """
        let worker = try await S.startPython(["code/inference.py": code], root: root, python: python)
        defer { Task { await worker.stop() } }
        let json = try await worker.invoke(S.request("[[1, 2], [3, 4]]"))
        #expect(S.text(json) == "[[3, 1], [7, 1]]")
        let csv = try await worker.invoke(S.request("1.5,2\n", contentType: "text/csv", accept: "text/csv"))
        #expect(S.text(csv) == "3.5,2.0\n")
        let batch = try await worker.invokeBatch([S.request("[[1, 1]]"), S.request("[[2, 2], [3, 3]]", accept: "text/csv")])
        #expect(batch.map(\.status) == [200, 200])
        #expect(S.text(batch[0]) == "[[2, 3]]")
        #expect(S.text(batch[1]) == "4,3\n6,3\n")
        let npy = try await worker.invoke(S.request("[[1, 2]]", accept: "application/x-npy"))
        #expect(npy.status == 200)
        #expect(npy.body.getString(at: npy.body.readerIndex + 1, length: 5) == "NUMPY")
    }
}

extension PythonWorkerTests {
    /// Waits until `count` calls are on their way to `worker` (at most 10 s), so the next call is written after them.
    static func waitUntilSent(_ count: Int, to worker: any InferenceWorker) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while worker.inFlight < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(worker.inFlight >= count)
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
