import Foundation
import OspreyCore

/// The CLI's view of training jobs, over the SageMaker and CloudWatch Logs APIs of a server.
struct TrainingClient {
    static let logGroup = "/aws/sagemaker/TrainingJobs"
    let api: AWSJSONClient

    func describe(_ name: String) async throws -> JSONValue {
        try await api.call("SageMaker.DescribeTrainingJob", .object(["TrainingJobName": .string(name)]))
    }

    /// Prints the job's log lines as they arrive (all hosts' streams), until the job ends; returns the final description.
    func follow(_ name: String, print line: (String) -> Void, untilDone: Bool = true) async throws -> JSONValue {
        var tokens: [String: String] = [:]
        while true {
            let described = try await describe(name)
            let finished = ["Completed", "Failed", "Stopped"].contains(described["TrainingJobStatus"]?.stringValue ?? "")
            let streams = try await api.call(
                "Logs_20140328.DescribeLogStreams",
                .object(["logGroupName": .string(Self.logGroup), "logStreamNamePrefix": .string(name + "/"), "orderBy": .string("LogStreamName")]))
            let names = (streams["logStreams"]?.arrayValue ?? []).compactMap { $0["logStreamName"]?.stringValue }
            var printed = false
            for stream in names {
                while true {
                    var input: [String: JSONValue] = [
                        "logGroupName": .string(Self.logGroup), "logStreamName": .string(stream), "startFromHead": .bool(true),
                    ]
                    if let token = tokens[stream] { input["nextToken"] = .string(token) }
                    let page = try await api.call("Logs_20140328.GetLogEvents", .object(input))
                    let events = page["events"]?.arrayValue ?? []
                    let host = names.count > 1 ? "[\(stream.split(separator: "/").last.map { $0.split(separator: "-").prefix(2).joined(separator: "-") } ?? "")] " : ""
                    for event in events { line(host + (event["message"]?.stringValue ?? "")) }
                    tokens[stream] = page["nextForwardToken"]?.stringValue ?? tokens[stream]
                    if events.isEmpty { break }
                    printed = true
                }
            }
            if finished || !untilDone { return described }
            if !printed { try await Task.sleep(for: .milliseconds(250)) }
        }
    }

    /// One line per final metric, `name = value`.
    static func metrics(_ described: JSONValue) -> [String] {
        (described["FinalMetricDataList"]?.arrayValue ?? []).map {
            "\($0["MetricName"]?.stringValue ?? "") = \($0["Value"]?.numberValue.map { String($0) } ?? "")"
        }
    }
}

extension ClientOptions {
    func awsJSONClient() throws -> AWSJSONClient {
        AWSJSONClient(endpoint: resolvedEndpoint, secret: try credentials().secret)
    }
}
