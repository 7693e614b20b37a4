import Foundation
import Logging
import OspreyCore
import OspreyServices

/// The admin key of the root account, made at first start.
enum RootKey {
    /// With `OSPREY_ROOT_ACCESS_KEY_ID`/`…SECRET_ACCESS_KEY` set, makes sure that key exists; otherwise, if the root account
    /// has no key, makes one, prints it once and writes it to `<data-dir>/credentials` (profile `osprey`, mode 0600).
    static func ensure(keys: AccessKeyService, configuration: ServerConfiguration, logger: Logger) async throws {
        let account = Deployment.rootAccount
        if let id = configuration.rootAccessKeyId, let secret = configuration.rootSecretAccessKey {
            if let existing = try await keys.key(id: id) {
                guard existing.secret == secret else {
                    throw OspreyError(
                        .validation, "OSPREY_ROOT_ACCESS_KEY_ID \(id) already exists with a different secret; unset the variables or fix them."
                    )
                }
                return
            }
            _ = try await keys.create(accountId: account, isAdmin: true, description: "root (from environment)", id: id, secret: secret)
            return
        }
        guard try await keys.list(accountId: account).isEmpty else { return }
        let key = try await keys.create(accountId: account, isAdmin: true, description: "root (generated at first start)")
        let path = configuration.dataDir + "/credentials"
        try CredentialsFile.write(profile: "osprey", accessKeyId: key.id, secret: key.secret, to: path)
        // Printed once, on standard output only — never through the logger.
        print(
            """
            Osprey created an admin access key (shown once; also saved to \(path), profile "osprey"):
              aws_access_key_id     = \(key.id)
              aws_secret_access_key = \(key.secret)
            """
        )
    }
}

/// The AWS shared-credentials file format.
public enum CredentialsFile {
    /// Adds or replaces `profile` in the file at `path`, keeping other profiles; mode 0600.
    public static func write(profile: String, accessKeyId: String, secret: String, to path: String) throws {
        var sections = (try? String(contentsOfFile: path, encoding: .utf8)).map(parse) ?? [:]
        sections[profile] = ["aws_access_key_id": accessKeyId, "aws_secret_access_key": secret]
        var text = ""
        for (name, values) in sections.sorted(by: { $0.key < $1.key }) {
            text += "[\(name)]\n"
            for (key, value) in values.sorted(by: { $0.key < $1.key }) { text += "\(key) = \(value)\n" }
            text += "\n"
        }
        try writePrivateFile(path, Data(text.utf8))
    }

    /// The profiles of a credentials file: `[name]` sections of `key = value` lines.
    public static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if name.hasPrefix("profile ") { name = String(name.dropFirst("profile ".count)) }
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
            } else if let current, let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                sections[current]?[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return sections
    }
}
