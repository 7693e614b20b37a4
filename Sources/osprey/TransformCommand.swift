import ArgumentParser
import Foundation
import OspreyCore

extension Osprey {
    /// `osprey transform create|describe|list|stop`: batch transform jobs.
    struct Transform: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a model over S3 objects in batch (batch transform jobs).",
            subcommands: [Create.self, Describe.self, List.self, Stop.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Start a transform job: each object under --input becomes {--output}/{its path below --input}.out.")
            @OptionGroup var client: ClientOptions
            @Option(help: "The model to run (CreateModel).") var model: String
            @Option(help: "s3://bucket/prefix of the input objects.") var input: String
            @Option(help: "s3://bucket/prefix for the outputs.") var output: String
            @Option(help: "The job's name (default: <model>-<timestamp>).") var name: String?
            @Option(help: "How objects are cut into records: Line or None.") var splitType = "None"
            @Option(help: "SingleRecord (one record per request) or MultiRecord (as many as fit in --max-payload-mb).")
            var strategy = "SingleRecord"
            @Option(help: "The input's media type, e.g. text/csv.") var contentType: String?
            @Option(help: "The media type to answer in.") var accept: String?
            @Option(help: "How answers are put together: Line or None (default: Line with --split-type Line).") var assembleWith: String?
            @Option(help: "The largest request, in MB.") var maxPayloadMb: Int?
            @Option(help: "Instances to run the model on.") var instanceCount = 1
            @Option(help: "The instance type.") var instanceType = "ml.m5.large"
            @Flag(help: "Wait until the job ends; exit non-zero unless it completed.") var wait = false

            func run() async throws {
                try await runClient {
                    let api = try client.awsJSONClient()
                    let job = name ?? String(model.prefix(48)) + "-\(Int(Date().timeIntervalSince1970))"
                    var transformInput: [String: JSONValue] = [
                        "DataSource": .object(["S3DataSource": .object(["S3DataType": .string("S3Prefix"), "S3Uri": .string(input)])]),
                        "SplitType": .string(splitType),
                    ]
                    if let contentType { transformInput["ContentType"] = .string(contentType) }
                    var transformOutput: [String: JSONValue] = [
                        "S3OutputPath": .string(output), "AssembleWith": .string(assembleWith ?? (splitType == "Line" ? "Line" : "None")),
                    ]
                    if let accept { transformOutput["Accept"] = .string(accept) }
                    var request: [String: JSONValue] = [
                        "TransformJobName": .string(job), "ModelName": .string(model), "BatchStrategy": .string(strategy),
                        "TransformInput": .object(transformInput), "TransformOutput": .object(transformOutput),
                        "TransformResources": .object(["InstanceType": .string(instanceType), "InstanceCount": .number(Double(instanceCount))]),
                    ]
                    if let maxPayloadMb { request["MaxPayloadInMB"] = .number(Double(maxPayloadMb)) }
                    _ = try await api.call("SageMaker.CreateTransformJob", .object(request))
                    print("started \(job)")
                    guard wait else { return }
                    let described = try await Self.waitUntilDone(job, api: api)
                    let status = described["TransformJobStatus"]?.stringValue ?? ""
                    guard status == "Completed" else {
                        let reason = described["FailureReason"]?.stringValue.map { ": \($0)" } ?? ""
                        FileHandle.standardError.write(Data("osprey: transform job \(job) \(status)\(reason)\n".utf8))
                        throw ExitCode(1)
                    }
                    print("\(job) Completed: outputs under \(output)")
                }
            }

            static func waitUntilDone(_ job: String, api: AWSJSONClient) async throws -> JSONValue {
                while true {
                    let described = try await api.call("SageMaker.DescribeTransformJob", .object(["TransformJobName": .string(job)]))
                    if ["Completed", "Failed", "Stopped"].contains(described["TransformJobStatus"]?.stringValue ?? "") { return described }
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
        }

        struct Describe: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a transform job as DescribeTransformJob returns it (JSON).")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The job's name.") var name: String

            func run() async throws {
                try await runClient {
                    let described = try await client.awsJSONClient().call(
                        "SageMaker.DescribeTransformJob", .object(["TransformJobName": .string(name)]))
                    print(described.text)
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List transform jobs, newest first.")
            @OptionGroup var client: ClientOptions
            @OptionGroup var filter: JobListOptions

            func run() async throws {
                try await runClient { try await filter.printJobs("Transform", client: client) }
            }
        }

        struct Stop: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Stop a running transform job (outputs already written stay).")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The job's name.") var name: String

            func run() async throws {
                try await runClient {
                    _ = try await client.awsJSONClient().call("SageMaker.StopTransformJob", .object(["TransformJobName": .string(name)]))
                    print("stopping \(name)")
                }
            }
        }
    }
}
