import ArgumentParser
import Foundation
import OspreyCore

extension Osprey {
    /// `osprey jobs list|describe|logs|stop|metrics`: training jobs.
    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and stop training jobs.", subcommands: [List.self, Describe.self, Logs.self, Stop.self, Metrics.self]
        )

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List training jobs, newest first.")
            @OptionGroup var client: ClientOptions
            @Option(help: "Only jobs in this status (InProgress, Completed, Failed, Stopping, Stopped).") var status: String?
            @Option(help: "Only jobs whose name contains this.") var name: String?
            @Option(help: "How many.") var max: Int = 50

            func run() async throws {
                try await runClient {
                    var input: [String: JSONValue] = ["MaxResults": .number(Double(min(max, 100)))]
                    if let status { input["StatusEquals"] = .string(status) }
                    if let name { input["NameContains"] = .string(name) }
                    let page = try await client.awsJSONClient().call("SageMaker.ListTrainingJobs", .object(input))
                    for job in page["TrainingJobSummaries"]?.arrayValue ?? [] {
                        let created = job["CreationTime"]?.numberValue.map { Date(timeIntervalSince1970: $0) }.map(S3Location.format) ?? ""
                        print("\(job["TrainingJobName"]?.stringValue ?? "")\t\(job["TrainingJobStatus"]?.stringValue ?? "")\t\(created)")
                    }
                }
            }
        }

        struct Describe: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a training job as DescribeTrainingJob returns it (JSON).")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The job's name.") var name: String

            func run() async throws {
                try await runClient {
                    print(try await TrainingClient(api: client.awsJSONClient()).describe(name).text)
                }
            }
        }

        struct Logs: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print a training job's log; -f follows it until the job ends.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The job's name.") var name: String
            @Flag(name: .shortAndLong, help: "Follow the log until the job ends.") var follow = false

            func run() async throws {
                try await runClient {
                    let training = TrainingClient(api: try client.awsJSONClient())
                    _ = try await training.follow(name, print: { print($0) }, untilDone: follow)
                }
            }
        }

        struct Stop: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Stop a running training job (its model is still uploaded).")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The job's name.") var name: String

            func run() async throws {
                try await runClient {
                    _ = try await client.awsJSONClient().call("SageMaker.StopTrainingJob", .object(["TrainingJobName": .string(name)]))
                    print("stopping \(name)")
                }
            }
        }

        struct Metrics: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print a training job's final metrics.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The job's name.") var name: String

            func run() async throws {
                try await runClient {
                    let described = try await TrainingClient(api: client.awsJSONClient()).describe(name)
                    for line in TrainingClient.metrics(described) { print(line) }
                }
            }
        }
    }
}
