import Foundation
import OspreyCore

/// What a user image mapping may hold: checked when it is added, and (the interpreter) again when a job uses it.
enum ImageMappingRules {
    /// Image URI characters (registry, path, tag, digest) and `*`.
    private static let patternCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@*".utf8)
    /// PEP 508 names, extras and version clauses without spaces: no shell metacharacters, quotes, URLs, markers or pip options
    /// (a requirements file takes `--option`s after a spec, so no spaces either).
    private static let packageCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-[],<>=!~*+".utf8)
    /// Built-in environment names (and prefixes) a user mapping may not take.
    private static let reservedNames = ["python"]
    private static let reservedPrefixes = ["sklearn-", "xgboost-", "pytorch-"]

    static func validate(pattern: String) throws {
        guard (1...256).contains(pattern.utf8.count), pattern.utf8.allSatisfy(patternCharacters.contains) else {
            throw OspreyError(
                .validation, "Invalid image pattern '\(pattern)': use 1 to 256 of A-Z a-z 0-9 . _ - / : @ and * (any run of characters).")
        }
        guard pattern.contains(where: { $0 != "*" }) else {
            throw OspreyError(.validation, "The image pattern '\(pattern)' would match every image and hide the built-in mappings.")
        }
    }

    /// The package specs, trimmed; throws `.validation` for an empty list or a spec that is not a plain requirement.
    static func packages(_ specs: [String]) throws -> [String] {
        let trimmed = specs.map { $0.trimmingCharacters(in: .whitespaces) }
        guard !trimmed.isEmpty, trimmed.count <= 100 else {
            throw OspreyError(.validation, "--packages needs 1 to 100 package specs, such as \"scikit-learn==1.5.*,pandas\".")
        }
        for spec in trimmed {
            guard (1...200).contains(spec.utf8.count), spec.first?.isLetter == true || spec.first?.isNumber == true,
                spec.utf8.allSatisfy(packageCharacters.contains)
            else {
                throw OspreyError(
                    .validation,
                    "Invalid package spec '\(spec)': a name with optional [extras] and versions (e.g. torch==2.1.*, numpy>=1.26,<2); "
                        + "no spaces, shell metacharacters, quotes, URLs or pip options.")
            }
        }
        return trimmed
    }

    static func validate(name: String) throws {
        let characters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".utf8)
        guard (1...64).contains(name.utf8.count), name.first?.isLetter == true || name.first?.isNumber == true,
            name.utf8.allSatisfy(characters.contains)
        else {
            throw OspreyError(
                .validation, "Invalid environment name '\(name)': 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit.")
        }
        guard !reservedNames.contains(name), !reservedPrefixes.contains(where: name.hasPrefix) else {
            throw OspreyError(.validation, "The environment name '\(name)' is reserved for a built-in mapping; choose another --name.")
        }
    }

    /// `path` when it is an absolute path to an executable file; throws `.validation` otherwise.
    static func interpreter(_ path: String) throws -> String {
        guard path.hasPrefix("/") else {
            throw OspreyError(.validation, "The interpreter '\(path)' must be an absolute path, such as /opt/conda/envs/team/bin/python.")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
            FileManager.default.isExecutableFile(atPath: path)
        else {
            throw OspreyError(.validation, "The interpreter '\(path)' is not an executable file on the Osprey server.")
        }
        return path
    }

    /// A name from the pattern's repository and tag: `123.dkr.ecr.us-east-1.amazonaws.com/my-team/*` → `my-team`.
    static func defaultName(for pattern: String) -> String {
        var parts = pattern.split(separator: "/").map(String.init)
        if parts.count > 1, parts[0].contains(".") || parts[0].contains(":") { parts.removeFirst() }
        var name = ""
        for character in parts.joined(separator: "-").replacingOccurrences(of: "*", with: "") {
            let allowed = character.isASCII && (character.isLetter || character.isNumber || character == "." || character == "_")
            let next: Character = allowed ? character : "-"
            if next == "-", name.isEmpty || name.hasSuffix("-") { continue }
            name.append(next)
        }
        while name.hasSuffix("-") || name.hasSuffix(".") { name.removeLast() }
        name = String(name.prefix(56))
        let reserved = reservedNames.contains(name) || reservedPrefixes.contains(where: name.hasPrefix)
        if name.isEmpty { return "custom" }
        return reserved || !(name.first?.isLetter == true || name.first?.isNumber == true) ? "custom-" + name : name
    }
}
