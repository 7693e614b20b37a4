import Foundation
import OspreyCore
import Testing

@Suite struct TransformJobLifecycleTests {
    static let start = Date(timeIntervalSince1970: 1_000)
    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }
    static var job: TransformJob {
        TransformJob(name: "t", accountId: Deployment.rootAccount, arn: "arn", request: .object([:]), modelName: "m", creationTime: start)
    }

    @Test func aJobStartsAndCompletes() throws {
        var job = Self.job
        #expect(job.status == .inProgress && job.transformStartTime == nil)
        job = try TransformJobLifecycle.apply(.started, to: job, at: Self.at(1))
        #expect(job.status == .inProgress && job.transformStartTime == Self.at(1))
        job = try TransformJobLifecycle.apply(.completed, to: job, at: Self.at(5))
        #expect(job.status == .completed && job.transformEndTime == Self.at(5) && job.lastModifiedTime == Self.at(5))
        #expect(job.failureReason == nil)
        #expect(!TransformJobLifecycle.changesStatus(.started) && TransformJobLifecycle.changesStatus(.completed))
    }

    @Test func stoppingThenStoppedOrFailed() throws {
        let stopping = try TransformJobLifecycle.apply(.stopRequested, to: Self.job, at: Self.at(1))
        #expect(stopping.status == .stopping && stopping.transformEndTime == nil)
        #expect(throws: OspreyError.self) { try TransformJobLifecycle.apply(.stopRequested, to: stopping, at: Self.at(2)) }
        #expect(throws: OspreyError.self) { try TransformJobLifecycle.apply(.completed, to: stopping, at: Self.at(2)) }
        let stopped = try TransformJobLifecycle.apply(.stopped, to: stopping, at: Self.at(3))
        #expect(stopped.status == .stopped && stopped.transformEndTime == Self.at(3))
        let failed = try TransformJobLifecycle.apply(.failed(reason: "boom"), to: stopping, at: Self.at(3))
        #expect(failed.status == .failed && failed.failureReason == "boom")
    }

    @Test func aFinishedJobTakesNoEvent() throws {
        let done = try TransformJobLifecycle.apply(.failed(reason: "x"), to: Self.job, at: Self.at(1))
        for event in [TransformJobEvent.started, .completed, .stopRequested, .stopped, .failed(reason: "y")] {
            #expect {
                try TransformJobLifecycle.apply(event, to: done, at: Self.at(2))
            } throws: { error in
                (error as? OspreyError)?.message == "The request was rejected because the transform job is in status Failed."
            }
        }
    }
}

@Suite struct JSONPathFilterTests {
    static func apply(_ path: String, _ json: String) throws -> String {
        try JSONPathFilter(path, field: "F").apply(try JSONValue.parse(Array(json.utf8))).text
    }

    @Test func selectors() throws {
        #expect(try Self.apply("$", #"{"a":1}"#) == #"{"a":1}"#)
        #expect(try Self.apply("$[0]", "[5,6,7]") == "5")
        #expect(try Self.apply("$[-1]", "[5,6,7]") == "7")
        #expect(try Self.apply("$[1:]", "[5,6,7]") == "[6,7]")
        #expect(try Self.apply("$[:2]", "[5,6,7]") == "[5,6]")
        #expect(try Self.apply("$[0:10]", "[5,6,7]") == "[5,6,7]")
        #expect(try Self.apply("$[0,2:]", "[5,6,7,8]") == "[5,7,8]")
        #expect(try Self.apply("$.features", #"{"id":1,"features":[1,2]}"#) == "[1,2]")
        #expect(try Self.apply("$.features[1]", #"{"features":[1,2]}"#) == "2")
        #expect(try Self.apply("$.a.b", #"{"a":{"b":"x"}}"#) == #""x""#)
        #expect(try Self.apply("$['id','SageMakerOutput']", #"{"id":1,"f":2,"SageMakerOutput":3}"#) == #"{"SageMakerOutput":3,"id":1}"#)
        #expect(try Self.apply("$[*]", "[1,2]") == "[1,2]")
    }

    @Test func selectingNothingIsAnError() {
        #expect(throws: OspreyError.self) { try Self.apply("$[3]", "[1,2]") }
        #expect(throws: OspreyError.self) { try Self.apply("$.missing", #"{"a":1}"#) }
        #expect(throws: OspreyError.self) { try Self.apply("$.a", "[1]") }
    }

    @Test func badPathsAreRefusedWithTheField() {
        for path in ["", "features", "$[", "$[1", "$[a]", "$.", "$x", "$['a"] {
            #expect {
                _ = try JSONPathFilter(path, field: "DataProcessing.InputFilter")
            } throws: { error in
                (error as? OspreyError)?.message.hasPrefix("DataProcessing.InputFilter '\(path)' is not a JSONPath") == true
            }
        }
    }
}

@Suite struct TransformRecordsTests {
    static func text(_ slices: [Range<Int>], _ bytes: [UInt8]) -> [String] { slices.map { String(decoding: bytes[$0], as: UTF8.self) } }

    @Test func linesDropTheirEndingsAndEmptyLines() {
        let bytes = Array("a,1\r\nb,2\n\nc,3".utf8)
        #expect(Self.text(TransformRecords.lines(bytes), bytes) == ["a,1", "b,2", "c,3"])
        #expect(TransformRecords.lines([]).isEmpty)
        #expect(TransformRecords.lines(Array("\n\n".utf8)).isEmpty)
    }

    @Test func batchesFitThePayloadLimit() throws {
        #expect(try TransformRecords.batches(sizes: [3, 3, 3], multiRecord: false, maxBytes: 100) == [0..<1, 1..<2, 2..<3])
        // 3 + 1 + 3 = 7 fits in 7; a third record would need 11.
        #expect(try TransformRecords.batches(sizes: [3, 3, 3], multiRecord: true, maxBytes: 7) == [0..<2, 2..<3])
        #expect(try TransformRecords.batches(sizes: [3, 3, 3], multiRecord: true, maxBytes: nil) == [0..<3])
        #expect(try TransformRecords.batches(sizes: [], multiRecord: true, maxBytes: 7).isEmpty)
        #expect(throws: OspreyError.self) { try TransformRecords.batches(sizes: [3, 9], multiRecord: true, maxBytes: 8) }
    }

    @Test func answersAreCutPerRecord() {
        let lines = TransformRecords.perRecord(Array("0.5\n1.5\n".utf8), count: 2, format: .csv)
        #expect(lines?.map { String(decoding: $0, as: UTF8.self) } == ["0.5", "1.5"])
        let array = TransformRecords.perRecord(Array(#"[{"y":1},{"y":2}]"#.utf8), count: 2, format: .json)
        #expect(array?.map { String(decoding: $0, as: UTF8.self) } == [#"{"y":1}"#, #"{"y":2}"#])
        #expect(TransformRecords.perRecord(Array("[1,2,3]\n".utf8), count: 1, format: .json) == [Array("[1,2,3]".utf8)])
        #expect(TransformRecords.perRecord(Array("1\n2\n3\n".utf8), count: 2, format: .csv) == nil)
    }

    @Test func joiningInputAndOutput() throws {
        let csv = TransformRecords.join(
            input: try TransformRecords.value(Array("id7,3,4".utf8)[...], format: .csv), inputFormat: .csv, answer: Array("11.5".utf8),
            answerFormat: .csv)
        #expect(String(decoding: TransformRecords.render(csv, format: .csv), as: UTF8.self) == "id7,3,4,11.5")
        let filtered = try JSONPathFilter("$[0,-1]", field: "OutputFilter").apply(csv)
        #expect(String(decoding: TransformRecords.render(filtered, format: .csv), as: UTF8.self) == "id7,11.5")
        let json = TransformRecords.join(
            input: try TransformRecords.value(Array(#"{"id":"a","x":[1]}"#.utf8)[...], format: .json), inputFormat: .json,
            answer: Array(#"{"y":2}"#.utf8), answerFormat: .json)
        #expect(json.text == #"{"SageMakerOutput":{"y":2},"id":"a","x":[1]}"#)
    }

    @Test func formats() {
        #expect(TransformRecords.Format(mediaType: "application/jsonlines") == .json)
        #expect(TransformRecords.Format(mediaType: "text/csv; charset=utf-8") == .csv)
        #expect(TransformRecords.Format(mediaType: "application/x-npy") == nil)
        #expect(TransformRecords.Format.of(Array(#" {"a":1}"#.utf8)[...], declared: nil) == .json)
        #expect(TransformRecords.Format.of(Array("1,2".utf8)[...], declared: nil) == .csv)
    }
}
