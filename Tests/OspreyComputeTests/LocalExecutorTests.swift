import Foundation
import Glibc
import OspreyCore
import Testing

@testable import OspreyCompute

@Suite(.timeLimit(.minutes(5))) struct LocalExecutorTests {
    let executor = LocalExecutor()

    @Test func runsATrainingScriptWithTheContract() async throws {
        let root = try TestSupport.temporaryFolder("train")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let script = """
            import json, os, sys
            hps = json.load(open("/opt/ml/input/config/hyperparameters.json"))
            rows = open("/opt/ml/input/data/train/data.csv").read().splitlines()
            print("cwd", os.getcwd())
            print("lr", hps["lr"], "argv", " ".join(sys.argv[1:]))
            print("rows", len(rows), "first", rows[0])
            print("env", os.environ["SM_HP_EPOCHS"], os.environ["MY_SETTING"], os.environ["SM_CURRENT_HOST"])
            sys.stdout.flush()
            print("to stderr", file=sys.stderr)
            sys.stderr.flush()
            with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as f:
                f.write("weights " + hps["lr"])
            print("done")
            """
        let (contract, layout) = try TestSupport.trainingJob(
            name: "train-job", root: root, script: script, hyperparameters: ["lr": "0.1", "epochs": "3"],
            channels: ["train": TrainingChannel(contentType: "text/csv")]
        )
        try TestSupport.write("a,b\n1,2\n3,4\n", to: layout.hosts[0].channelDirectory("train") + "/data.csv")
        let python = try await TestSupport.python()
        let spec = try LaunchSpec.training(
            contract: contract, layout: layout, arguments: contract.scriptModeArguments(python: python),
            environment: ["MY_SETTING": "on"], logDirectory: root + "/logs"
        )
        let job = try await executor.start(spec)
        let exits = await job.wait()
        #expect(exits.map(\.status) == [.exited(0)])
        #expect(await job.failedHost == nil)

        let isolation = await executor.isolation()
        let lines = try TestSupport.lines(of: root + "/logs/algo-1.log")
        #expect(
            lines == [
                "cwd " + (isolation.privateOptML ? "/opt/ml/code" : root + "/code"), "lr 0.1 argv --epochs 3 --lr 0.1", "rows 3 first a,b",
                "env 3 on algo-1", "to stderr", "done",
            ]
        )
        #expect(TestSupport.read(layout.hosts[0].modelDirectory + "/model.txt") == "weights 0.1")
        // The host's /opt/ml stays empty: the job wrote into its own folder.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: "/opt/ml"))?.isEmpty ?? true)
    }

    @Test func failureFileBecomesTheReason() async throws {
        let root = try TestSupport.temporaryFolder("fail")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let script = """
            import sys
            print("loading")
            open("/opt/ml/output/failure", "w").write("  Bad data in row 3: token=s3cr3t  \\n")
            sys.exit(2)
            """
        let (contract, layout) = try TestSupport.trainingJob(name: "fail-job", root: root, script: script)
        let python = try await TestSupport.python()
        let spec = try LaunchSpec.training(
            contract: contract, layout: layout, arguments: contract.scriptModeArguments(python: python), logDirectory: root + "/logs"
        )
        let job = try await executor.start(spec)
        let exits = await job.wait()
        #expect(exits.map(\.status) == [.exited(2)])
        #expect(await job.failedHost == "algo-1")
        let reason = FailureReason.describe(
            hostFolder: layout.hosts[0].path, logFile: job.logFiles["algo-1"], status: exits[0].status, redactor: Redactor(secrets: ["s3cr3t"])
        )
        #expect(reason == "AlgorithmError: Bad data in row 3: token=****")
    }

    @Test func logTailBecomesTheReasonWithoutAFailureFile() async throws {
        let root = try TestSupport.temporaryFolder("tail")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let script = """
            for i in range(20):
                print("step", i)
            raise ValueError("boom")
            """
        let (contract, layout) = try TestSupport.trainingJob(name: "tail-job", root: root, script: script)
        let python = try await TestSupport.python()
        let spec = try LaunchSpec.training(
            contract: contract, layout: layout, arguments: contract.scriptModeArguments(python: python), logDirectory: root + "/logs"
        )
        let job = try await executor.start(spec)
        let exits = await job.wait()
        #expect(exits.map(\.status) == [.exited(1)])
        let reason = FailureReason.describe(hostFolder: layout.hosts[0].path, logFile: job.logFiles["algo-1"], status: exits[0].status)
        #expect(reason.hasPrefix("AlgorithmError: exit code 1\n"))
        #expect(reason.hasSuffix("ValueError: boom"))
        #expect(reason.contains("Traceback"))
        #expect(!reason.contains("step 9\n"))  // only the last ten lines
        #expect(reason.count <= FailureReason.maxLength)
    }

    @Test func stopGivesGraceThenKills() async throws {
        let root = try TestSupport.temporaryFolder("stop")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let python = try await TestSupport.python()
        let graceful = """
            import signal, sys, time
            def handler(number, frame):
                open("/opt/ml/output/data/terminated", "w").write("SIGTERM")
                print("cleaning up")
                sys.exit(0)
            signal.signal(signal.SIGTERM, handler)
            print("ready")
            time.sleep(60)
            """
        let stubborn = """
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print("ready")
            time.sleep(60)
            """
        let (contractA, layoutA) = try TestSupport.trainingJob(name: "graceful", root: root + "/a", script: graceful)
        let (contractB, layoutB) = try TestSupport.trainingJob(name: "stubborn", root: root + "/b", script: stubborn)
        let jobA = try await executor.start(
            LaunchSpec.training(
                contract: contractA, layout: layoutA, arguments: contractA.scriptModeArguments(python: python), logDirectory: root + "/la")
        )
        let jobB = try await executor.start(
            LaunchSpec.training(
                contract: contractB, layout: layoutB, arguments: contractB.scriptModeArguments(python: python), logDirectory: root + "/lb")
        )
        #expect(try await TestSupport.waitForLine("ready", in: root + "/la/algo-1.log"))
        #expect(try await TestSupport.waitForLine("ready", in: root + "/lb/algo-1.log"))

        await jobA.stop(grace: .seconds(20))
        await jobB.stop(grace: .milliseconds(300))
        let exitsA = await jobA.wait()
        let exitsB = await jobB.wait()
        #expect(exitsA == [HostExit(host: "algo-1", pid: jobA.pids[0], status: .exited(0), stoppedBy: .requested)])
        #expect(TestSupport.read(layoutA.hosts[0].outputDataDirectory + "/terminated") == "SIGTERM")
        #expect(try TestSupport.lines(of: root + "/la/algo-1.log") == ["ready", "cleaning up"])
        #expect(exitsB.map(\.status) == [.signaled(SIGKILL)])
        #expect(exitsB.first?.stoppedBy == .requested)
        #expect(await jobA.failedHost == nil)
    }

    @Test func aFailingHostStopsTheOthers() async throws {
        let root = try TestSupport.temporaryFolder("multi")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let script = """
            import json, os, sys, time
            hosts = json.loads(os.environ["SM_HOSTS"])
            print("host", os.environ["SM_CURRENT_HOST"], "of", len(hosts), "master", os.environ["MASTER_ADDR"])
            open("/opt/ml/model/who", "w").write(os.environ["SM_CURRENT_HOST"])
            if os.environ["SM_CURRENT_HOST"] == "algo-2":
                time.sleep(0.3)
                sys.exit(3)
            time.sleep(60)
            """
        let (contract, layout) = try TestSupport.trainingJob(name: "multi-job", root: root, script: script, instanceCount: 2)
        let python = try await TestSupport.python()
        let spec = try LaunchSpec.training(
            contract: contract, layout: layout, arguments: contract.scriptModeArguments(python: python), logDirectory: root + "/logs"
        )
        let started = ContinuousClock.now
        let job = try await executor.start(spec)
        let exits = await job.wait()
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(exits.map(\.host) == ["algo-1", "algo-2"])
        #expect(exits[0].status == .signaled(SIGTERM))
        #expect(exits[0].stoppedBy == .peerFailed("algo-2"))
        #expect(exits[1] == HostExit(host: "algo-2", pid: job.pids[1], status: .exited(3)))
        #expect(await job.failedHost == "algo-2")
        #expect(try TestSupport.lines(of: root + "/logs/algo-1.log") == ["host algo-1 of 2 master 127.0.0.1"])
        #expect(try TestSupport.lines(of: root + "/logs/algo-2.log") == ["host algo-2 of 2 master 127.0.0.1"])
        for host in layout.hosts { #expect(TestSupport.read(host.modelDirectory + "/who") == host.hostName) }
    }

    @Test func concurrentJobsCannotSeeEachOther() async throws {
        let isolation = await executor.isolation()
        guard isolation.privateOptML else { try Test.cancel("No private /opt/ml on this machine: \(isolation)") }
        let jobsRoot = try TestSupport.temporaryFolder("jobs")
        defer { try? FileManager.default.removeItem(atPath: jobsRoot) }
        let script = """
            import os, sys, time
            me, other = sys.argv[1], sys.argv[2]
            open("/opt/ml/model/" + me + ".txt", "w").write(me)
            time.sleep(0.5)
            print("model", sorted(os.listdir("/opt/ml/model")))
            print("other real path", os.path.exists(other))
            print("root listing", os.listdir(sys.argv[3]))
            """
        let python = try await TestSupport.python()
        var jobs: [(RunningJob, String)] = []
        for (me, other) in [("alpha", "beta"), ("beta", "alpha")] {
            let (contract, layout) = try TestSupport.trainingJob(name: me, root: jobsRoot + "/" + me, script: script)
            let spec = try LaunchSpec.training(
                contract: contract, layout: layout,
                arguments: [python, "/opt/ml/code/train.py", me, jobsRoot + "/" + other + "/model/" + other + ".txt", jobsRoot],
                logDirectory: jobsRoot + "/" + me + "/logs", hiddenPaths: [jobsRoot]
            )
            jobs.append((try await executor.start(spec), jobsRoot + "/" + me))
        }
        for (job, folder) in jobs {
            #expect(await job.wait().map(\.status) == [.exited(0)])
            let me = (folder as NSString).lastPathComponent
            #expect(try TestSupport.lines(of: folder + "/logs/algo-1.log") == ["model ['\(me).txt']", "other real path False", "root listing []"])
            #expect(TestSupport.read(folder + "/model/\(me).txt") == me)
        }
    }

    @Test func userNamespacesGiveAPrivateOptMLToo() async throws {
        let root = try TestSupport.temporaryFolder("userns")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (contract, layout) = try TestSupport.trainingJob(
            name: "userns", root: root, script: "import os; print(os.getcwd(), sorted(os.listdir('/opt/ml')))"
        )
        let python = try await TestSupport.python()
        let job = try await LocalExecutor(isolation: .userNamespace).start(
            LaunchSpec.training(
                contract: contract, layout: layout, arguments: contract.scriptModeArguments(python: python), logDirectory: root + "/logs"
            )
        )
        let exits = await job.wait()
        let lines = try TestSupport.lines(of: root + "/logs/algo-1.log")
        guard exits.map(\.status) == [.exited(0)] else { try Test.cancel("No user namespaces here: \(lines)") }
        #expect(lines == ["/opt/ml/code ['checkpoints', 'code', 'input', 'logs', 'model', 'output']"])
    }

    @Test func withoutIsolationPathsPointAtTheFolder() async throws {
        let root = try TestSupport.temporaryFolder("plain")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let script = """
            import os, sys
            print(os.getcwd() == os.environ["SAGEMAKER_BASE_DIR"] + "/code", sys.argv[1] == os.environ["SM_MODEL_DIR"])
            open(os.path.join(os.environ["SM_MODEL_DIR"], "m"), "w").write("ok")
            """
        let (contract, layout) = try TestSupport.trainingJob(name: "plain", root: root, script: script)
        let python = try await TestSupport.python()
        let plain = LocalExecutor(isolation: .none(reason: "test"))
        let job = try await plain.start(
            LaunchSpec.training(
                contract: contract, layout: layout, arguments: [python, "/opt/ml/code/train.py", "/opt/ml/model"], logDirectory: root + "/logs")
        )
        #expect(await job.wait().map(\.status) == [.exited(0)])
        #expect(!job.isolation.privateOptML)
        #expect(job.notes.contains { $0.contains("not private") })
        #expect(try TestSupport.lines(of: root + "/logs/algo-1.log") == ["True True"])
        #expect(TestSupport.read(layout.hosts[0].modelDirectory + "/m") == "ok")
    }

    @Test func memoryLimitIsAppliedOrReported() async throws {
        let root = try TestSupport.temporaryFolder("mem")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (contract, layout) = try TestSupport.trainingJob(name: "mem-job", root: root, script: "print(open('/proc/self/cgroup').read())")
        let python = try await TestSupport.python()
        let spec = try LaunchSpec.training(
            contract: contract, layout: layout, arguments: contract.scriptModeArguments(python: python), logDirectory: root + "/logs",
            memoryLimitBytes: 256 << 20
        )
        let job = try await executor.start(spec)
        #expect(await job.wait().map(\.status) == [.exited(0)])
        if job.memoryLimited {
            #expect(try TestSupport.lines(of: root + "/logs/algo-1.log").contains { $0.contains("osprey/mem-job-algo-1") })
            // Going over the limit ends the job.
            let greedy = LaunchSpec(
                jobName: "greedy", hosts: [LaunchSpec.Host(name: "algo-1", folder: layout.hosts[0].path)],
                arguments: [python, "-c", "blocks = [bytearray(16 << 20) for _ in range(32)]; print('survived')"], memoryLimitBytes: 64 << 20,
                logDirectory: root + "/greedy"
            )
            let exits = try await executor.start(greedy).wait()
            #expect(exits.map(\.status) != [.exited(0)])
            print("over the memory limit: \(exits.map(\.status))")

            // Without a namespace the limit holds too.
            let plain = LaunchSpec(
                jobName: "plain-mem", hosts: [LaunchSpec.Host(name: "algo-1", folder: layout.hosts[0].path)],
                arguments: [python, "-c", "print(open('/proc/self/cgroup').read())"], memoryLimitBytes: 64 << 20, logDirectory: root + "/plain"
            )
            let plainJob = try await LocalExecutor(isolation: .none(reason: "test")).start(plain)
            #expect(await plainJob.wait().map(\.status) == [.exited(0)])
            #expect(plainJob.memoryLimited)
            #expect(try TestSupport.lines(of: root + "/plain/algo-1.log").contains { $0.contains("osprey/plain-mem-algo-1") })
        } else {
            #expect(job.notes.contains { $0.contains("memory limit not applied") })
        }
        print("memory limit applied: \(job.memoryLimited) \(job.notes)")
    }

    @Test func refusesWhatCannotRun() async throws {
        let root = try TestSupport.temporaryFolder("bad")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let host = LaunchSpec.Host(name: "algo-1", folder: root)
        try FileManager.default.createDirectory(atPath: root + "/code", withIntermediateDirectories: true)
        let plain = LocalExecutor(isolation: .none(reason: "test"))
        let specs = [
            LaunchSpec(jobName: "bad", hosts: [host], arguments: [], logDirectory: root + "/logs"),
            LaunchSpec(jobName: "bad name", hosts: [host], arguments: ["true"], logDirectory: root + "/logs"),
            LaunchSpec(jobName: "bad", hosts: [LaunchSpec.Host(name: "../x", folder: root)], arguments: ["true"], logDirectory: root + "/logs"),
            LaunchSpec(jobName: "bad", hosts: [host], arguments: ["no-such-program-here"], logDirectory: root + "/logs"),
        ]
        for spec in specs {
            await #expect(throws: OspreyError.self) { try await plain.start(spec) }
        }
    }

    @Test func adoptionTellsLiveFromDeadAndReusedPids() async throws {
        let root = try TestSupport.temporaryFolder("adopt")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/code", withIntermediateDirectories: true)
        let spec = LaunchSpec(
            jobName: "adopt", hosts: [LaunchSpec.Host(name: "algo-1", folder: root)], arguments: ["sleep", "30"], logDirectory: root)
        let job = try await executor.start(spec)
        let record = try #require(job.processes.first)
        #expect(record.startTime > 0)
        #expect(ProcessProbe.isRunning(record))
        var reused = record
        reused.startTime += 1
        #expect(!ProcessProbe.isRunning(reused))
        let adopted = executor.adopt(job.processes)
        #expect(adopted.isRunning)

        await job.stop(grace: .seconds(5))
        #expect(await job.wait().map(\.status) == [.signaled(SIGTERM)])
        #expect(!ProcessProbe.isRunning(record))
        #expect(!adopted.isRunning)
        await adopted.waitUntilGone()
        #expect(!ProcessProbe.isRunning(ProcessRecord(host: "x", pid: 0, processGroup: 0, startTime: 0)))
    }

    @Test func adoptedJobsCanBeStopped() async throws {
        // A process we did not start (as after a restart): only polling and signals are available.
        let pid = try Spawner.spawn(SpawnRequest(arguments: ["sleep", "30"], environment: LaunchSpec.defaultBaseEnvironment()))
        let reaped = Task { await Reaper.wait(for: pid) }
        let record = ProcessRecord(host: "algo-1", pid: pid, processGroup: pid, startTime: ProcessProbe.startTime(of: pid) ?? 0)
        let adopted = AdoptedJob(records: [record])
        #expect(adopted.isRunning)
        async let stopped: Void = adopted.stop(grace: .seconds(5))
        #expect(await reaped.value == .signaled(SIGTERM))
        await stopped
        #expect(!adopted.isRunning)
    }

    @Test func measuresSpawnToFirstLine() async throws {
        let root = try TestSupport.temporaryFolder("latency")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let python = try await TestSupport.python()
        try FileManager.default.createDirectory(atPath: root + "/code", withIntermediateDirectories: true)
        let isolation = await executor.isolation()
        for (label, runner) in [("\(isolation)", executor), ("no isolation", LocalExecutor(isolation: .none(reason: "measure")))] {
            var samples: [Duration] = []
            for run in 0..<7 {
                let logs = root + "/logs-\(samples.count)-\(label.hashValue)"
                let spec = LaunchSpec(
                    jobName: "latency-\(run)", hosts: [LaunchSpec.Host(name: "algo-1", folder: root)], arguments: [python, "-c", "print('first')"],
                    logDirectory: logs
                )
                let clock = ContinuousClock()
                let started = clock.now
                let job = try await runner.start(spec)
                let tailer = LogTailer(path: logs + "/algo-1.log")
                while try tailer.read(from: 0).lines.isEmpty {
                    try await Task.sleep(for: .microseconds(200))
                    if clock.now - started > .seconds(20) { break }
                }
                samples.append(clock.now - started)
                _ = await job.wait()
            }
            let sorted = samples.sorted()
            print("spawn to first line (\(label)): min \(sorted[0]), median \(sorted[sorted.count / 2]), max \(sorted[sorted.count - 1])")
        }
    }
}
