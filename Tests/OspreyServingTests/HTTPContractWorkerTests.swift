import Foundation
import NIOCore
import OspreyCompute
import OspreyCore
import Testing

@testable import OspreyServing

@Suite(.timeLimit(.minutes(5))) struct HTTPContractWorkerTests {
    typealias S = ServingTestSupport

    /// SageMaker's container contract with the standard library: /ping once the model is read, /invocations echoes.
    static let server = """
        import json, os, sys, time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        model = json.load(open("/opt/ml/model/model.json"))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self, status, body, content_type, attributes=None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if attributes:
                    self.send_header("X-Amzn-SageMaker-Custom-Attributes", attributes)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/ping":
                    self.answer(200, b"", "text/plain")
                else:
                    self.answer(404, b"", "text/plain")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if body == b"fail":
                    self.answer(500, b"model failed", "text/plain")
                    return
                if body == b"die":
                    os._exit(9)
                if body == b"sleep":
                    time.sleep(5)
                reply = {
                    "path": self.path, "body": body.decode(), "content_type": self.headers.get("Content-Type"),
                    "accept": self.headers.get("Accept"), "greeting": model["greeting"],
                }
                self.answer(200, json.dumps(reply).encode(), self.headers.get("Accept") or "application/json",
                            "seen=" + (self.headers.get("X-Amzn-SageMaker-Custom-Attributes") or ""))

            def log_message(self, *args):
                pass

        print("serving on", os.environ["SAGEMAKER_BIND_TO_PORT"], flush=True)
        ThreadingHTTPServer(("127.0.0.1", int(os.environ["SAGEMAKER_BIND_TO_PORT"])), Handler).serve_forever()
        """

    @Test func servesTheContract() async throws {
        let root = try S.temporaryFolder("http")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try S.modelFolder(["model.json": #"{"greeting": "hi"}"#, "code/serve.py": Self.server], in: root)
        let python = try await S.python()
        let worker = try await HTTPContractWorker.start(
            S.launch(folder, root: root, command: [python, "/opt/ml/model/code/serve.py"]), executor: S.executor
        )
        #expect(await worker.ping())
        var request = S.request("abc", contentType: "text/csv", accept: "application/json")
        request.customAttributes = "trace=1"
        let response = try await worker.invoke(request)
        #expect(response.status == 200)
        #expect(response.contentType == "application/json")
        #expect(response.customAttributes == "seen=trace=1")
        let echoed = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: String]
        #expect(echoed == ["path": "/invocations", "body": "abc", "content_type": "text/csv", "accept": "application/json", "greeting": "hi"])

        let failed = try await worker.invoke(S.request("fail"))
        #expect(failed.status == 500)
        #expect(S.text(failed) == "model failed")

        let batch = try await worker.invokeBatch((0..<5).map { S.request("item\($0)", contentType: "text/plain") })
        #expect(batch.count == 5)
        for (index, item) in batch.enumerated() { #expect(S.text(item).contains("\"body\": \"item\(index)\"")) }

        await #expect {
            try await worker.invoke(S.request("die"))
        } throws: { error in
            error.workerFailure?.kind == .exited && error.workerFailure?.retryable == true
        }
        #expect(await worker.waitUntilExited().contains("exit code 9"))
        #expect(!(await worker.ping()))
        await worker.stop()
    }

    @Test func aTimeoutFailsOnlyThatCall() async throws {
        let root = try S.temporaryFolder("http-timeout")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try S.modelFolder(["model.json": #"{"greeting": "hi"}"#, "code/serve.py": Self.server], in: root)
        let python = try await S.python()
        let worker = try await HTTPContractWorker.start(
            S.launch(folder, root: root, command: [python, "/opt/ml/model/code/serve.py"], timeout: .seconds(1)), executor: S.executor
        )
        await #expect {
            try await worker.invoke(S.request("sleep"))
        } throws: { error in
            error.workerFailure?.kind == .timedOut && error.workerFailure?.retryable == false
        }
        #expect(try await worker.invoke(S.request("ok")).status == 200)
        #expect(worker.inFlight == 0)
        await worker.stop()
    }

    @Test func aCommandThatExitsFailsTheStart() async throws {
        let root = try S.temporaryFolder("http-exit")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try S.modelFolder(["code/serve.py": "import sys\nprint('cannot find the model', flush=True)\nsys.exit(2)\n"], in: root)
        let python = try await S.python()
        await #expect {
            _ = try await HTTPContractWorker.start(
                S.launch(folder, root: root, command: [python, "/opt/ml/model/code/serve.py"]), executor: S.executor
            )
        } throws: { error in
            guard let error = error as? OspreyError else { return false }
            return error.code == .validation && error.message.contains("exit code 2") && error.message.contains("cannot find the model")
        }
    }

    @Test func stopEndsTheServer() async throws {
        let root = try S.temporaryFolder("http-stop")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try S.modelFolder(["model.json": #"{"greeting": "hi"}"#, "code/serve.py": Self.server], in: root)
        let python = try await S.python()
        let worker = try await HTTPContractWorker.start(
            S.launch(folder, root: root, command: [python, "/opt/ml/model/code/serve.py"]), executor: S.executor
        )
        await worker.stop()
        await worker.stop()
        #expect(await worker.waitUntilExited().contains("signal 15"))
        await #expect {
            try await worker.invoke(S.request("x"))
        } throws: { error in
            error.workerFailure?.kind == .stopped
        }
    }
}
