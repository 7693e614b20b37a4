import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OspreyCore
import Testing

@testable import OspreyServer

/// The CloudWatch Logs adapter driven in-process (bearer tokens stand in for SigV4) over a real SQLite store.
@Suite struct LogsAdapterTests {
    /// One answer: status, the JSON object of the body, and the headers.
    struct Answer {
        var status: HTTPResponse.Status
        var json: [String: Any]
        var headers: HTTPFields

        var errorType: String? { json["__type"] as? String }
        var message: String? { json["message"] as? String }
        var events: [[String: Any]] { json["events"] as? [[String: Any]] ?? [] }
        var messages: [String] { events.compactMap { $0["message"] as? String } }
        func string(_ key: String) -> String? { json[key] as? String }
    }

    static func call(
        _ client: some TestClientProtocol, _ operation: String, _ input: [String: Any], headers: HTTPFields = AdapterTests.bearer
    ) async throws -> Answer {
        try await send(client, operation, body: try JSONSerialization.data(withJSONObject: input), headers: headers)
    }

    static func send(_ client: some TestClientProtocol, _ operation: String, body: Data, headers: HTTPFields = AdapterTests.bearer)
        async throws -> Answer
    {
        var fields = headers
        fields[HTTPField.Name("X-Amz-Target")!] = "Logs_20140328.\(operation)"
        fields[.contentType] = "application/x-amz-json-1.1"
        return try await client.execute(uri: "/", method: .post, headers: fields, body: ByteBuffer(bytes: body)) { response in
            let json = response.body.readableBytes == 0 ? [:] : try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            if response.status == .ok { #expect(response.headers[.contentType] == "application/x-amz-json-1.1") }
            return Answer(status: response.status, json: json ?? [:], headers: response.headers)
        }
    }

    static func expectError(_ answer: Answer, _ type: String, _ message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == .badRequest, "\(answer.json)", sourceLocation: sourceLocation)
        #expect(answer.errorType == type, "\(answer.json)", sourceLocation: sourceLocation)
        #expect(answer.headers[HTTPField.Name("x-amzn-ErrorType")!] == type, sourceLocation: sourceLocation)
        if let message { #expect(answer.message == message, sourceLocation: sourceLocation) }
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func put(_ client: some TestClientProtocol, _ group: String, _ stream: String, _ events: [(Int64, String)]) async throws -> Answer {
        let answer = try await call(
            client, "PutLogEvents",
            ["logGroupName": group, "logStreamName": stream, "logEvents": events.map { ["timestamp": $0.0, "message": $0.1] }]
        )
        #expect(answer.status == .ok, "\(answer.json)")
        return answer
    }

    @Test func groupsAndStreams() async throws {
        try await AdapterTests.withServer { client in
            #expect(try await Self.call(client, "CreateLogGroup", ["logGroupName": "/osprey/b"]).status == .ok)
            #expect(try await Self.call(client, "CreateLogGroup", ["logGroupName": "/osprey/a"]).status == .ok)
            Self.expectError(
                try await Self.call(client, "CreateLogGroup", ["logGroupName": "/osprey/a"]), "ResourceAlreadyExistsException",
                "The specified log group already exists"
            )
            Self.expectError(
                try await Self.call(client, "CreateLogStream", ["logGroupName": "/nope", "logStreamName": "s"]), "ResourceNotFoundException",
                "The specified log group does not exist."
            )
            for stream in ["job-1/algo-1-100", "job-1/algo-2-100", "job-2/algo-1-100"] {
                #expect(try await Self.call(client, "CreateLogStream", ["logGroupName": "/osprey/a", "logStreamName": stream]).status == .ok)
            }
            Self.expectError(
                try await Self.call(client, "CreateLogStream", ["logGroupName": "/osprey/a", "logStreamName": "job-1/algo-1-100"]),
                "ResourceAlreadyExistsException", "The specified log stream already exists"
            )

            let firstPage = try await Self.call(client, "DescribeLogGroups", ["logGroupNamePrefix": "/osprey/", "limit": 1])
            let groups = try #require(firstPage.json["logGroups"] as? [[String: Any]])
            #expect(groups.map { $0["logGroupName"] as? String } == ["/osprey/a"])
            #expect(groups.first?["arn"] as? String == "arn:aws:logs:us-east-1:000000000000:log-group:/osprey/a:*")
            let token = try #require(firstPage.string("nextToken"))
            let secondPage = try await Self.call(client, "DescribeLogGroups", ["logGroupNamePrefix": "/osprey/", "limit": 1, "nextToken": token])
            #expect((secondPage.json["logGroups"] as? [[String: Any]])?.map { $0["logGroupName"] as? String } == ["/osprey/b"])
            #expect(secondPage.json["nextToken"] == nil)

            let streams = try await Self.call(
                client, "DescribeLogStreams", ["logGroupName": "/osprey/a", "logStreamNamePrefix": "job-1/", "orderBy": "LogStreamName"]
            )
            let described = try #require(streams.json["logStreams"] as? [[String: Any]])
            #expect(described.map { $0["logStreamName"] as? String } == ["job-1/algo-1-100", "job-1/algo-2-100"])
            #expect(
                described.first?["arn"] as? String == "arn:aws:logs:us-east-1:000000000000:log-group:/osprey/a:log-stream:job-1/algo-1-100"
            )
            #expect(described.first?["firstEventTimestamp"] == nil)

            _ = try await Self.put(client, "/osprey/a", "job-1/algo-1-100", [(Self.now, "hello")])
            let byTime = try await Self.call(
                client, "DescribeLogStreams", ["logGroupName": "/osprey/a", "orderBy": "LastEventTime", "descending": true, "limit": 2]
            )
            #expect((byTime.json["logStreams"] as? [[String: Any]])?.first?["logStreamName"] as? String == "job-1/algo-1-100")
            #expect((byTime.json["logStreams"] as? [[String: Any]])?.first?["lastIngestionTime"] != nil)
            #expect(byTime.json["nextToken"] != nil)
            Self.expectError(
                try await Self.call(
                    client, "DescribeLogStreams", ["logGroupName": "/osprey/a", "orderBy": "LastEventTime", "logStreamNamePrefix": "j"]),
                "InvalidParameterException"
            )
            Self.expectError(try await Self.call(client, "DescribeLogStreams", ["logGroupName": "/none"]), "ResourceNotFoundException")
            let byArn = try await Self.call(
                client, "DescribeLogStreams", ["logGroupIdentifier": "arn:aws:logs:us-east-1:000000000000:log-group:/osprey/a", "limit": 50]
            )
            #expect((byArn.json["logStreams"] as? [[String: Any]])?.count == 3)
        }
    }

    @Test func putLogEventsValidatesLikeAWS() async throws {
        try await AdapterTests.withServer { client in
            _ = try await Self.call(client, "CreateLogGroup", ["logGroupName": "g"])
            _ = try await Self.call(client, "CreateLogStream", ["logGroupName": "g", "logStreamName": "s"])
            let now = Self.now
            func events(_ list: [(Int64, String)]) -> [[String: Any]] { list.map { ["timestamp": $0.0, "message": $0.1] } }

            Self.expectError(
                try await Self.call(
                    client, "PutLogEvents", ["logGroupName": "g", "logStreamName": "s", "logEvents": events([(now, "b"), (now - 1, "a")])]),
                "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order."
            )
            Self.expectError(
                try await Self.call(
                    client, "PutLogEvents",
                    ["logGroupName": "g", "logStreamName": "s", "logEvents": events([(now - 25 * 3_600_000, "a"), (now, "b")])]
                ),
                "InvalidParameterException"
            )
            let big = String(repeating: "x", count: 600_000)
            let tooLarge = try await Self.call(
                client, "PutLogEvents", ["logGroupName": "g", "logStreamName": "s", "logEvents": events([(now, big), (now, big)])]
            )
            Self.expectError(tooLarge, "InvalidParameterException")
            #expect(tooLarge.message?.hasPrefix("Upload too large") == true)
            let unknown = try await Self.call(
                client, "PutLogEvents", ["logGroupName": "g", "logStreamName": "s", "logEvents": events([(now, "a")]), "bogus": 1])
            Self.expectError(unknown, "ValidationException")
            #expect(unknown.message?.contains("Unknown parameter 'bogus'") == true)
            Self.expectError(
                try await Self.call(client, "PutLogEvents", ["logGroupName": "g", "logStreamName": "s", "logEvents": events([(now, "")])]),
                "ValidationException"
            )
            Self.expectError(
                try await Self.call(client, "PutLogEvents", ["logGroupName": "g", "logStreamName": "nope", "logEvents": events([(now, "a")])]),
                "ResourceNotFoundException", "The specified log stream does not exist."
            )
            Self.expectError(
                try await Self.call(client, "PutLogEvents", ["logGroupName": "gone", "logStreamName": "s", "logEvents": events([(now, "a")])]),
                "ResourceNotFoundException", "The specified log group does not exist."
            )
            // Nothing of the refused batches was stored.
            let empty = try await Self.call(client, "GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "startFromHead": true])
            #expect(empty.events.isEmpty)

            // Too old and too new events are reported and skipped; the rest is stored.
            let day: Int64 = 86_400_000
            let old = try await Self.put(client, "g", "s", [(now - 14 * day - 3_600_000, "old"), (now - 14 * day + 60_000, "kept-1")])
            #expect(old.string("nextSequenceToken")?.count == 56)
            #expect((old.json["rejectedLogEventsInfo"] as? [String: Any])?["tooOldLogEventEndIndex"] as? Int == 1)
            let new = try await Self.put(client, "g", "s", [(now, "kept-2"), (now + 3 * 3_600_000, "new")])
            let rejected = try #require(new.json["rejectedLogEventsInfo"] as? [String: Any])
            #expect(rejected["tooNewLogEventStartIndex"] as? Int == 1)
            #expect(rejected["tooOldLogEventEndIndex"] == nil)
            let stored = try await Self.call(client, "GetLogEvents", ["logGroupName": "g", "logStreamName": "s", "startFromHead": true])
            #expect(stored.messages == ["kept-1", "kept-2"])
        }
    }

    @Test func getLogEventsPagesWithTokensAndFollowsTheStream() async throws {
        try await AdapterTests.withServer { client in
            _ = try await Self.call(client, "CreateLogGroup", ["logGroupName": "/aws/sagemaker/TrainingJobs"])
            let group = "/aws/sagemaker/TrainingJobs"
            let stream = "job/algo-1-1700000000"
            _ = try await Self.call(client, "CreateLogStream", ["logGroupName": group, "logStreamName": stream])
            let base = Self.now - 60_000
            _ = try await Self.put(client, group, stream, (0..<5).map { (base + Int64($0) * 1000, "line \($0)") })
            let read = ["logGroupName": group, "logStreamName": stream] as [String: Any]

            // Forward from the head, two at a time, until an empty page.
            var token: String?
            var seen: [String] = []
            var emptyToken = ""
            for _ in 0..<10 {
                var input = read.merging(["startFromHead": true, "limit": 2]) { $1 }
                if let token { input["nextToken"] = token }
                let page = try await Self.call(client, "GetLogEvents", input)
                #expect(page.status == .ok)
                let forward = try #require(page.string("nextForwardToken"))
                #expect(page.string("nextBackwardToken") != nil)
                if page.events.isEmpty {
                    emptyToken = forward
                    #expect(forward == token)
                    break
                }
                seen += page.messages
                token = forward
            }
            #expect(seen == (0..<5).map { "line \($0)" })

            // The empty page's token returns what is written later.
            _ = try await Self.put(client, group, stream, [(base + 10_000, "line 5")])
            let later = try await Self.call(client, "GetLogEvents", read.merging(["startFromHead": true, "nextToken": emptyToken]) { $1 })
            #expect(later.messages == ["line 5"])

            // Backward from the tail.
            let tail = try await Self.call(client, "GetLogEvents", read.merging(["limit": 2]) { $1 })
            #expect(tail.messages == ["line 4", "line 5"])
            let back = try #require(tail.string("nextBackwardToken"))
            let before = try await Self.call(client, "GetLogEvents", read.merging(["limit": 3, "nextToken": back]) { $1 })
            #expect(before.messages == ["line 1", "line 2", "line 3"])
            let first = try await Self.call(
                client, "GetLogEvents", read.merging(["limit": 3, "nextToken": try #require(before.string("nextBackwardToken"))]) { $1 }
            )
            #expect(first.messages == ["line 0"])

            // startTime (inclusive) and endTime (exclusive).
            let window = try await Self.call(
                client, "GetLogEvents", read.merging(["startFromHead": true, "startTime": base + 2000, "endTime": base + 4000]) { $1 }
            )
            #expect(window.messages == ["line 2", "line 3"])
            // A stream with no matching events yet: its forward token still finds events written later.
            let none = try await Self.call(client, "GetLogEvents", read.merging(["startFromHead": true, "startTime": base + 20_000]) { $1 })
            #expect(none.events.isEmpty)
            _ = try await Self.put(client, group, stream, [(base + 30_000, "line 6")])
            let next = try await Self.call(
                client, "GetLogEvents",
                read.merging(["startFromHead": true, "startTime": base + 20_000, "nextToken": try #require(none.string("nextForwardToken"))]) { $1 }
            )
            #expect(next.messages == ["line 6"])

            Self.expectError(try await Self.call(client, "GetLogEvents", read.merging(["nextToken": "x/1"]) { $1 }), "InvalidParameterException")
            Self.expectError(
                try await Self.call(client, "GetLogEvents", ["logGroupName": group, "logStreamName": "missing"]), "ResourceNotFoundException",
                "The specified log stream does not exist."
            )
            Self.expectError(try await Self.call(client, "GetLogEvents", ["logStreamName": stream]), "InvalidParameterException")
        }
    }

    @Test func filterLogEventsByPrefixPatternAndPage() async throws {
        try await AdapterTests.withServer { client in
            let group = "/aws/sagemaker/Endpoints/ep"
            _ = try await Self.call(client, "CreateLogGroup", ["logGroupName": group])
            let base = Self.now - 60_000
            for (index, stream) in ["AllTraffic/i-1", "AllTraffic/i-2", "Other/i-1"].enumerated() {
                _ = try await Self.call(client, "CreateLogStream", ["logGroupName": group, "logStreamName": stream])
                _ = try await Self.put(
                    client, group, stream,
                    [
                        (base + Int64(index), "\(stream) INFO ready"), (base + 100 + Int64(index), "\(stream) ERROR code 42"),
                        (base + 200, "\(stream) done"),
                    ]
                )
            }
            let errors = try await Self.call(
                client, "FilterLogEvents", ["logGroupName": group, "logStreamNamePrefix": "AllTraffic/", "filterPattern": "ERROR"])
            #expect(errors.messages == ["AllTraffic/i-1 ERROR code 42", "AllTraffic/i-2 ERROR code 42"])
            let event = try #require(errors.events.first)
            #expect(event["logStreamName"] as? String == "AllTraffic/i-1")
            #expect((event["eventId"] as? String)?.count == 56)
            #expect(event["ingestionTime"] != nil && event["timestamp"] as? Int64 == base + 100)
            let searched = try #require(errors.json["searchedLogStreams"] as? [[String: Any]])
            #expect(Set(searched.compactMap { $0["logStreamName"] as? String }) == ["AllTraffic/i-1", "AllTraffic/i-2"])

            let quoted = try await Self.call(client, "FilterLogEvents", ["logGroupName": group, "filterPattern": "\"code 42\" i-1"])
            #expect(quoted.messages == ["AllTraffic/i-1 ERROR code 42", "Other/i-1 ERROR code 42"])
            let named = try await Self.call(
                client, "FilterLogEvents", ["logGroupName": group, "logStreamNames": ["Other/i-1"], "startTime": base + 100])
            #expect(named.messages == ["Other/i-1 ERROR code 42", "Other/i-1 done"])

            // Paging two at a time through all nine events.
            var token: String?
            var all: [String] = []
            repeat {
                var input: [String: Any] = ["logGroupName": group, "limit": 2]
                if let token { input["nextToken"] = token }
                let page = try await Self.call(client, "FilterLogEvents", input)
                #expect(page.events.count <= 2)
                all += page.messages
                token = page.string("nextToken")
            } while token != nil
            #expect(all.count == 9)
            #expect(all.first == "AllTraffic/i-1 INFO ready")
            #expect(all.suffix(3).allSatisfy { $0.hasSuffix("done") })

            Self.expectError(try await Self.call(client, "FilterLogEvents", ["logGroupName": "/none"]), "ResourceNotFoundException")
            Self.expectError(
                try await Self.call(client, "FilterLogEvents", ["logGroupName": group, "filterPattern": "{ $.a = 1 }"]), "InvalidParameterException")
            Self.expectError(
                try await Self.call(client, "FilterLogEvents", ["logGroupName": group, "nextToken": "garbage"]), "InvalidParameterException")
        }
    }

    @Test func protocolAndAuthenticationErrorsAreAWSJSON() async throws {
        try await AdapterTests.withServer { client in
            Self.expectError(try await Self.call(client, "DeleteLogGroup", ["logGroupName": "g"]), "UnknownOperationException")
            Self.expectError(try await Self.send(client, "CreateLogGroup", body: Data("{not json".utf8)), "SerializationException")
            Self.expectError(try await Self.send(client, "CreateLogGroup", body: Data("[1]".utf8)), "SerializationException")
            Self.expectError(try await Self.call(client, "CreateLogGroup", ["logGroupName": "bad name!"]), "ValidationException")
            Self.expectError(
                try await Self.call(client, "CreateLogGroup", ["logGroupName": "g"], headers: [.authorization: "Bearer not-a-real-secret-000000"]),
                "UnrecognizedClientException"
            )
            Self.expectError(
                try await Self.call(client, "CreateLogGroup", ["logGroupName": "g"], headers: [:]), "MissingAuthenticationTokenException")
            // Every account sees only its own groups: nothing above was created.
            let groups = try await Self.call(client, "DescribeLogGroups", [:])
            #expect((groups.json["logGroups"] as? [Any])?.isEmpty == true)

            try await client.execute(uri: "/metrics", method: .get, headers: AdapterTests.bearer) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"osprey_requests_total{protocol="logs",operation="DescribeLogGroups",status="200"}"#))
                #expect(text.contains(#"osprey_requests_total{protocol="logs",operation="Unknown",status="400"}"#))
            }
        }
    }
}
