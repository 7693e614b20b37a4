import Foundation
import OspreyCompute
import OspreyCore
import OspreyStore
import Testing

@testable import OspreyServices

/// The log pump's metric points: stored with their lines, once per line across pumps (a restart), from the redacted text.
@Suite("Log pump metric series")
struct LogPumpMetricsTests {
    static let account = "111111111111"
    static let group = TrainingService.logGroup
    static let stream = "pumped/algo-1-1760000000"

    struct FixedClock: WallClock {
        let date: Date
        func now() -> Date { date }
    }

    static func pump(_ store: SQLMetadataStore, file: String, at seconds: Double, secrets: [String] = []) -> LogPump {
        LogPump(
            store: store, accountId: account, job: "pumped", group: group, files: ["algo-1": file], streams: ["algo-1": stream],
            metricDefinitions: LogPump.metricDefinitions(of: .object([
                "AlgorithmSpecification": .object(["MetricDefinitions": .array([
                    .object(["Name": .string("loss"), "Regex": .string("loss=([0-9.e-]+)")]),
                    .object(["Name": .string("token"), "Regex": .string("token=([0-9]+)")]),
                ])])
            ])),
            redactor: Redactor(secrets: secrets), clock: FixedClock(date: Date(timeIntervalSince1970: seconds)))
    }

    @Test func pointsAreStoredOncePerLineAcrossPumps() async throws {
        try await SecretServiceTests.withStore { store, folder in
            try await store.createLogStream(accountId: Self.account, group: Self.group, stream: Self.stream, creationTime: 0)
            let file = folder + "/algo-1.log"
            try "loss=0.5\nnothing here\nloss=0.25 token=12345\n".write(toFile: file, atomically: true, encoding: .utf8)

            let first = Self.pump(store, file: file, at: 1_760_000_001, secrets: ["12345"])
            try await first.flush(endOfStream: false)
            #expect(await first.finalMetrics.map(\.value) == [0.25])

            // A new pump (as after a restart) resumes from the committed offset: old lines add nothing, new ones add points.
            let handle = try #require(FileHandle(forWritingAtPath: file))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("loss=1e-3\n".utf8))
            try handle.close()
            try await Self.pump(store, file: file, at: 1_760_000_002).flush(endOfStream: true)

            let points = try await store.trainingMetrics(accountId: Self.account, jobName: "pumped", metric: nil)
            // The secret is masked before matching, so `token` never sees its value.
            #expect(points.map(\.metric) == ["loss", "loss", "loss"])
            #expect(points.map(\.value) == [0.5, 0.25, 0.001])
            #expect(points.map(\.timestamp) == [1_760_000_001_000, 1_760_000_001_000, 1_760_000_002_000])
            #expect(points.map(\.offset) == [0, 22, 44] && points.allSatisfy { $0.stream == Self.stream })
            let events = try await store.logEvents(
                accountId: Self.account, group: Self.group, stream: Self.stream, startTime: nil, endTime: nil, afterSequence: nil,
                beforeSequence: nil, limit: 10)
            #expect(events.map(\.message) == ["loss=0.5", "nothing here", "loss=0.25 token=****", "loss=1e-3"])

            // Reading the whole file again from the start (a crash after the points, before the lines) stores no point twice.
            let stored = try await store.appendTrainingMetrics(accountId: Self.account, jobName: "pumped", points: points, limit: 100)
            #expect(stored == 0)
        }
    }
}
