import ArgumentParser
import Foundation
import OspreyCore

/// The filters of `osprey jobs list` and `osprey transform list`, and the listing they print.
struct JobListOptions: ParsableArguments {
    @Option(help: "Only jobs in this status (InProgress, Completed, Failed, Stopping, Stopped).") var status: String?
    @Option(help: "Only jobs whose name contains this.") var name: String?
    @Option(help: "How many.") var max: Int = 50

    /// Prints a line per job of `kind` ("Training", "Transform"): name, status, creation time; newest first.
    func printJobs(_ kind: String, client: ClientOptions) async throws {
        var input: [String: JSONValue] = ["MaxResults": .number(Double(min(max, 100)))]
        if let status { input["StatusEquals"] = .string(status) }
        if let name { input["NameContains"] = .string(name) }
        let page = try await client.awsJSONClient().call("SageMaker.List\(kind)Jobs", .object(input))
        for job in page["\(kind)JobSummaries"]?.arrayValue ?? [] {
            let created = job["CreationTime"]?.numberValue.map { Date(timeIntervalSince1970: $0) }.map(S3Location.format) ?? ""
            print("\(job["\(kind)JobName"]?.stringValue ?? "")\t\(job["\(kind)JobStatus"]?.stringValue ?? "")\t\(created)")
        }
    }
}
