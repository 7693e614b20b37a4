import ArgumentParser

extension Osprey {
    /// `osprey images list`: which training images Osprey runs, and the local environment each maps to.
    struct Images: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Training images and the local environments they map to.", subcommands: [List.self]
        )

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the image mappings.")
            @OptionGroup var client: ClientOptions

            func run() async throws {
                try await runClient {
                    let answer = try await client.nativeClient().call(.GET, "/api/v1/images") as? [String: Any]
                    for image in answer?["images"] as? [[String: Any]] ?? [] {
                        print("\(image["image"] ?? "")\n    environment \(image["environment"] ?? ""): \(image["packages"] ?? "")")
                    }
                }
            }
        }
    }
}
