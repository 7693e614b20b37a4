import ArgumentParser
import Foundation
import OspreyCore

extension Osprey {
    /// `osprey secrets put|list|delete`. Values come from standard input only: arguments show in `ps`.
    struct Secrets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage secrets: values training jobs receive through Environment values osprey-secret:NAME.",
            subcommands: [Put.self, List.self, Delete.self]
        )

        struct Put: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create or replace a secret; the value is read from standard input.",
                discussion: """
                    One trailing newline is removed, so `echo "$TOKEN" | osprey secrets put NAME` stores $TOKEN. \
                    The value is never printed, and never passed as an argument (other users see arguments in `ps`). \
                    Names are 1 to 128 ASCII letters, digits, '_', '.', '-' and '/'.
                    """
            )
            @OptionGroup var client: ClientOptions
            @Argument(help: "The secret's name.") var name: String

            func run() async throws {
                try await runClient {
                    if isatty(STDIN_FILENO) == 1 {
                        FileHandle.standardError.write(Data("Type the value of \(name), then press Ctrl-D on a new line.\n".utf8))
                    }
                    let value = try SecretInput.read(from: .standardInput)
                    let native = try client.nativeClient()
                    let path = "/api/v1/secrets/" + SecretInput.pathComponent(name)
                    let answer = try await native.call(.PUT, path, body: value, contentType: "application/octet-stream")
                    print((answer as? [String: Any])?["created"] as? Bool == false ? "replaced \(name)" : "stored \(name)")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the account's secrets (names and times, never values).")
            @OptionGroup var client: ClientOptions

            func run() async throws {
                try await runClient {
                    let native = try client.nativeClient()
                    let answer = try await native.call(.GET, "/api/v1/secrets") as? [String: Any]
                    for secret in answer?["secrets"] as? [[String: Any]] ?? [] {
                        print("\(secret["name"] ?? "")\t\(secret["createdAt"] ?? "")\t\(secret["updatedAt"] ?? "")")
                    }
                }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a secret.")
            @OptionGroup var client: ClientOptions
            @Argument(help: "The secret's name.") var name: String

            func run() async throws {
                try await runClient {
                    let native = try client.nativeClient()
                    _ = try await native.call(.DELETE, "/api/v1/secrets/" + SecretInput.pathComponent(name))
                    print("deleted \(name)")
                }
            }
        }
    }
}

/// Reading a secret's value from standard input.
enum SecretInput {
    /// The largest value the server takes (64 KiB), plus room for the newline that is removed.
    static let limit = (64 << 10) + 2

    /// Everything up to end of input, without one trailing newline (`\n` or `\r\n`). Throws `.validation` when it is empty
    /// or too large; messages never include the value.
    static func read(from handle: FileHandle) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try handle.read(upToCount: 16 << 10), !chunk.isEmpty {
            bytes.append(contentsOf: chunk)
            guard bytes.count <= limit else {
                throw OspreyError(.validation, "The value on standard input is larger than 64 KiB.")
            }
        }
        let value = strippingOneNewline(bytes)
        guard !value.isEmpty else {
            throw OspreyError(.validation, #"Standard input was empty: pipe the value in, e.g. printf %s "$TOKEN" | osprey secrets put NAME."#)
        }
        return value
    }

    /// `bytes` without one trailing `\n` (or `\r\n`).
    static func strippingOneNewline(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.last == UInt8(ascii: "\n") else { return bytes }
        var value = bytes.dropLast()
        if value.last == UInt8(ascii: "\r") { value = value.dropLast() }
        return Array(value)
    }

    /// A name as one piece of a URL path (its `/` kept; anything a path cannot hold escaped, for the server to reject).
    static func pathComponent(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
    }
}
