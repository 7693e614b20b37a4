import ArgumentParser
import Foundation
import OspreyCore

extension Osprey {
    /// `osprey images list|add|remove`: which training images Osprey runs, and the local environment each maps to.
    struct Images: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Training images and the local environments they map to.", subcommands: [List.self, Add.self, Remove.self]
        )

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List the image mappings: user ones first, in the order they are tried, then the built-ins.")
            @OptionGroup var client: ClientOptions

            func run() async throws {
                try await runClient {
                    let answer = try await client.nativeClient().call(.GET, "/api/v1/images") as? [String: Any]
                    for image in answer?["images"] as? [[String: Any]] ?? [] {
                        let kind = image["builtin"] as? Bool == false ? "user" : "built-in"
                        print("\(image["image"] ?? "")  [\(kind)]\n    environment \(image["environment"] ?? ""): \(image["packages"] ?? "")")
                    }
                }
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Map an image (exact URI, or a glob with *) to an interpreter or a venv of packages (admin keys only).",
                discussion: """
                    User mappings are tried before the built-ins: exact patterns first, then the glob fixing the most characters. \
                    --python uses an existing interpreter on the server (e.g. a conda environment) as it is; --packages makes \
                    an Osprey venv with those packages the first time a job uses it. Example: \
                    osprey images add '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/*' --packages "scikit-learn==1.5.*,pandas"
                    """
            )
            @OptionGroup var client: ClientOptions
            @Argument(help: "An image URI, or a glob where * matches any run of characters.") var pattern: String
            @Option(help: "An absolute path to an existing Python interpreter on the server.") var python: String?
            @Option(help: #"Comma-separated package specs, e.g. "torch==2.1.*,numpy>=1.26,<2"."#) var packages: String?
            @Option(help: "The environment's name (default: made from the pattern).") var name: String?

            func validate() throws {
                guard (python == nil) != (packages == nil) else {
                    throw ValidationError("Give exactly one of --python or --packages.")
                }
            }

            func run() async throws {
                try await runClient {
                    var body: [String: Any] = ["pattern": pattern]
                    if let python { body["python"] = python }
                    if let packages { body["packages"] = PackageSpecs.split(packages) }
                    if let name { body["name"] = name }
                    let answer = try await client.nativeClient().call(.POST, "/api/v1/images", json: body) as? [String: Any]
                    print("added \(pattern) -> environment \(answer?["environment"] ?? ""): \(answer?["packages"] ?? "")")
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a user image mapping by its exact pattern (admin keys only).")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The pattern, as `osprey images list` shows it.") var pattern: String

            func run() async throws {
                try await runClient {
                    let escaped = pattern.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? pattern
                    _ = try await client.nativeClient().call(.DELETE, "/api/v1/images/" + escaped)
                    print("removed \(pattern)")
                }
            }
        }
    }
}

/// `--packages` text as a list of specs.
enum PackageSpecs {
    /// Splits at commas outside `[extras]`; a piece that starts with a version operator continues the spec before it, so
    /// `"numpy>=1.26,<2,pandas[excel,html]"` is `["numpy>=1.26,<2", "pandas[excel,html]"]`.
    static func split(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "[" { depth += 1 }
            if character == "]" { depth = max(0, depth - 1) }
            if character == ",", depth == 0 {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        var specs: [String] = []
        for piece in pieces.map({ $0.trimmingCharacters(in: .whitespaces) }) where !piece.isEmpty {
            if let first = piece.first, "<>=!~".contains(first), !specs.isEmpty {
                specs[specs.count - 1] += "," + piece
            } else {
                specs.append(piece)
            }
        }
        return specs
    }
}
