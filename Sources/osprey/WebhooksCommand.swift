import ArgumentParser
import Foundation

extension Osprey {
    /// `osprey webhooks add|list|delete`.
    struct Webhooks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage webhooks: URLs that receive the account's events as signed POSTs.",
            subcommands: [Add.self, List.self, Delete.self]
        )

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Subscribe a URL to events; its signing secret is printed once.",
                discussion: """
                    Each POST carries X-Osprey-Signature: sha256=<hex HMAC-SHA256 of "<X-Osprey-Timestamp>.<body>" keyed with the secret>.
                    Delivery is at least once: drop duplicates by X-Osprey-Event-Id.
                    """
            )
            @OptionGroup var client: ClientOptions
            @Argument(help: "The http(s) URL to POST events to.") var url: String
            @Option(help: "Comma-separated event types, e.g. osprey.s3.BucketCreated (default: all).") var events: String?

            func run() async throws {
                try await runClient {
                    let native = try client.nativeClient()
                    let types = (events ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    let hook = try await native.call(.POST, "/api/v1/webhooks", json: ["url": url, "events": types]) as? [String: Any]
                    print("id     = \(hook?["id"] as? String ?? "")")
                    print("secret = \(hook?["secret"] as? String ?? "")")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the account's webhooks.")
            @OptionGroup var client: ClientOptions

            func run() async throws {
                try await runClient {
                    let native = try client.nativeClient()
                    let answer = try await native.call(.GET, "/api/v1/webhooks") as? [String: Any]
                    for hook in answer?["webhooks"] as? [[String: Any]] ?? [] {
                        let types = (hook["events"] as? [String] ?? []).joined(separator: ",")
                        print("\(hook["id"] ?? "")\t\(hook["url"] ?? "")\t\(types.isEmpty ? "*" : types)\t\(hook["createdAt"] ?? "")")
                    }
                }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a webhook; delivery to it stops.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The webhook id.") var webhookId: String

            func run() async throws {
                try await runClient {
                    let native = try client.nativeClient()
                    _ = try await native.call(.DELETE, "/api/v1/webhooks/\(webhookId)")
                    print("deleted \(webhookId)")
                }
            }
        }
    }
}
