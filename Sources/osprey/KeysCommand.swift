import ArgumentParser
import Foundation

extension Osprey {
    /// `osprey keys create|list|delete`.
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage access keys.", subcommands: [Create.self, List.self, Delete.self]
        )

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create an access key; its secret is printed once.")
            @OptionGroup var client: ClientOptions
            @Option(help: "What the key is for.") var description: String = ""
            @Flag(help: "Make it an admin key.") var admin = false

            func run() async throws {
                try await runClient {
                    let native = try client.nativeClient()
                    let key = try await native.call(.POST, "/api/v1/keys", json: ["description": description, "admin": admin]) as? [String: Any]
                    print("aws_access_key_id     = \(key?["accessKeyId"] as? String ?? "")")
                    print("aws_secret_access_key = \(key?["secretAccessKey"] as? String ?? "")")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the account's access keys.")
            @OptionGroup var client: ClientOptions

            func run() async throws {
                try await runClient {
                    let native = try client.nativeClient()
                    let answer = try await native.call(.GET, "/api/v1/keys") as? [String: Any]
                    for key in answer?["keys"] as? [[String: Any]] ?? [] {
                        let admin = key["admin"] as? Bool == true ? "admin" : "user"
                        print("\(key["accessKeyId"] ?? "")\t\(admin)\t\(key["createdAt"] ?? "")\t\(key["description"] ?? "")")
                    }
                }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke an access key.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The access key id.") var accessKeyId: String

            func run() async throws {
                try await runClient {
                    let native = try client.nativeClient()
                    _ = try await native.call(.DELETE, "/api/v1/keys/\(accessKeyId)")
                    print("deleted \(accessKeyId)")
                }
            }
        }
    }
}
