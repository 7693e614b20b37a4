import ArgumentParser
import Foundation
import OspreyCore

extension Osprey {
    /// `osprey deploy MODEL_OR_JOB --name EP`: a real-time endpoint from a model or a finished training job.
    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deploy a model, or the model of a completed training job, to a real-time endpoint and wait until it serves.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "A model name, or a training job whose model and source (with --entry-point) to deploy.") var source: String
        @Option(help: "The endpoint's name.") var name: String
        @Option(help: "The inference script in the job's source (model_fn, input_fn, predict_fn, output_fn).") var entryPoint = "inference.py"
        @Option(help: "Instances of the variant.") var instanceCount = 1
        @Option(help: "The instance type (sets memory and worker defaults).") var instanceType = "ml.m5.large"
        @Flag(help: "Return once the endpoint is Creating.") var noWait = false

        func run() async throws {
            try await runClient {
                let serving = ServingClient(api: try client.awsJSONClient())
                let started = ContinuousClock.now
                let described = try await serving.deploy(
                    source, endpoint: name, instanceCount: instanceCount, instanceType: instanceType, entryPoint: entryPoint, wait: !noWait)
                let status = described["EndpointStatus"]?.stringValue ?? ""
                print("endpoint \(name) is \(status) after \(started.duration(to: .now).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
            }
        }
    }

    /// `osprey endpoints list|describe|invoke|update|delete`.
    struct Endpoints: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect, call, update and delete real-time endpoints.",
            subcommands: [List.self, Describe.self, Invoke.self, Update.self, Delete.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List endpoints, newest first.")
            @OptionGroup var client: ClientOptions

            func run() async throws {
                try await runClient {
                    let page = try await client.awsJSONClient().call("SageMaker.ListEndpoints", .object(["MaxResults": .number(100)]))
                    for endpoint in page["Endpoints"]?.arrayValue ?? [] {
                        print("\(endpoint["EndpointName"]?.stringValue ?? "")\t\(endpoint["EndpointStatus"]?.stringValue ?? "")")
                    }
                }
            }
        }

        struct Describe: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show an endpoint as DescribeEndpoint returns it (JSON).")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The endpoint's name.") var name: String

            func run() async throws {
                try await runClient { print(try await ServingClient(api: client.awsJSONClient()).describe(name).text) }
            }
        }

        struct Invoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Call an endpoint and print its answer.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The endpoint's name.") var name: String
            @Option(help: "The request body (default: read from --file or standard input).") var body: String?
            @Option(help: "A file holding the request body.") var file: String?
            @Option(help: "The body's media type.") var contentType = "application/json"
            @Option(help: "The media type to answer in.") var accept: String?
            @Option(help: "Send to this production variant.") var variant: String?

            func run() async throws {
                try await runClient {
                    let bytes: [UInt8]
                    if let body {
                        bytes = Array(body.utf8)
                    } else if let file {
                        guard let data = FileManager.default.contents(atPath: file) else { throw OspreyError(.validation, "Cannot read \(file).") }
                        bytes = Array(data)
                    } else {
                        bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
                    }
                    let answer = try await ServingClient(api: client.awsJSONClient()).invoke(
                        name, body: bytes, contentType: contentType, accept: accept, variant: variant)
                    FileHandle.standardOutput.write(Data(answer.body))
                    if answer.body.last != UInt8(ascii: "\n") { print("") }
                }
            }
        }

        struct Update: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Move an endpoint to another endpoint configuration (UpdateEndpoint).")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The endpoint's name.") var name: String
            @Option(help: "The endpoint configuration to deploy.") var config: String
            @Flag(help: "Return once the endpoint is Updating.") var noWait = false

            func run() async throws {
                try await runClient {
                    let serving = ServingClient(api: try client.awsJSONClient())
                    _ = try await serving.api.call(
                        "SageMaker.UpdateEndpoint", .object(["EndpointName": .string(name), "EndpointConfigName": .string(config)]))
                    let described = noWait ? try await serving.describe(name) : try await serving.waitUntilSettled(name)
                    print("endpoint \(name) is \(described["EndpointStatus"]?.stringValue ?? "") on \(described["EndpointConfigName"]?.stringValue ?? "")")
                }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete an endpoint (its configuration and model stay).")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The endpoint's name.") var name: String

            func run() async throws {
                try await runClient {
                    _ = try await client.awsJSONClient().call("SageMaker.DeleteEndpoint", .object(["EndpointName": .string(name)]))
                    print("deleted \(name)")
                }
            }
        }
    }
}
