import ArgumentParser
import Foundation
import OspreyCore

extension Osprey {
    /// `osprey jobs list|describe|logs|stop|interrupt|metrics|rerun`: training jobs.
    struct Jobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and stop training jobs.",
            subcommands: [List.self, Describe.self, Logs.self, Stop.self, Interrupt.self, Metrics.self, Rerun.self]
        )

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List training jobs, newest first.")
            @OptionGroup var client: ClientOptions
            @OptionGroup var filter: JobListOptions

            func run() async throws {
                try await runClient { try await filter.printJobs("Training", client: client) }
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

        struct Interrupt: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Simulate a spot interruption of a running managed-spot job: it stops, syncs its checkpoints and restarts.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The job's name.") var name: String

            func run() async throws {
                try await runClient {
                    let path = "/api/v1/training-jobs/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)/interrupt"
                    _ = try await client.nativeClient().call(.POST, path)
                    print("interrupted \(name)")
                }
            }
        }

        struct Rerun: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Start a new job from a job's stored record: same image, code, data, hyperparameters and settings.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The job to reproduce.") var name: String
            @Option(name: .customLong("as"), help: "The new job's name (default: <name>-rerun-<timestamp>).") var newName: String?
            @Flag(help: "Follow the new job's log until it ends.") var wait = false

            /// The CreateTrainingJob members a DescribeTrainingJob answer echoes.
            static let requestMembers = [
                "HyperParameters", "AlgorithmSpecification", "RoleArn", "InputDataConfig", "OutputDataConfig", "ResourceConfig",
                "VpcConfig", "StoppingCondition", "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
                "EnableManagedSpotTraining", "CheckpointConfig", "DebugHookConfig", "DebugRuleConfigurations", "TensorBoardOutputConfig",
                "ExperimentConfig", "ProfilerConfig", "ProfilerRuleConfigurations", "Environment", "RetryStrategy",
            ]

            func run() async throws {
                try await runClient {
                    let api = try client.awsJSONClient()
                    let training = TrainingClient(api: api)
                    let original = try await training.describe(name)
                    var request: [String: JSONValue] = [:]
                    for member in Self.requestMembers { request[member] = original[member] }
                    let stamp = Int(Date().timeIntervalSince1970)
                    let job = newName ?? String(name.prefix(48)) + "-rerun-\(stamp)"
                    request["TrainingJobName"] = .string(job)
                    _ = try await api.call("SageMaker.CreateTrainingJob", .object(request))
                    print("started \(job) from \(name)")
                    guard wait else { return }
                    let described = try await training.follow(job, print: { print($0) })
                    print("\(job) \(described["TrainingJobStatus"]?.stringValue ?? "")")
                }
            }
        }

        struct Metrics: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print a training job's metric series: count, last, min, max and a sparkline per metric.",
                discussion: "The series hold every value the job's MetricDefinitions matched in its log (at most 100,000 per job)."
            )
            @OptionGroup var client: ClientOptions
            @Argument(help: "The job's name.") var name: String
            @Option(help: "Only this metric.") var metric: String?
            @Flag(help: "Print every point (time, metric, value) instead of the summary.") var points = false

            func run() async throws {
                try await runClient {
                    let escaped = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
                    var path = "/api/v1/training-jobs/\(escaped)/metrics"
                    if let metric { path += "?name=" + (metric.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? metric) }
                    let series = MetricSeriesFormat.parse(try await client.nativeClient().call(.GET, path))
                    guard !series.isEmpty else {
                        // A job from before metric series were kept still has its final values.
                        let described = try await TrainingClient(api: client.awsJSONClient()).describe(name)
                        for line in TrainingClient.metrics(described) where metric.map({ line.hasPrefix($0 + " = ") }) ?? true {
                            print(line)
                        }
                        return
                    }
                    for line in points ? MetricSeriesFormat.table(series) : MetricSeriesFormat.summary(series) { print(line) }
                }
            }
        }
    }
}
