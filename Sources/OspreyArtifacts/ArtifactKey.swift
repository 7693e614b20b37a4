import OspreyCore

/// Why a key was refused.
enum ArtifactKeyError {
    static func invalid(_ key: String, _ reason: String) -> OspreyError {
        OspreyError(.invalidArgument, "Invalid artifact key '\(key)': \(reason).")
    }

    static func tooLarge(key: String, limit: Int) -> OspreyError {
        OspreyError(.entityTooLarge, "Artifact '\(key)' is larger than \(limit) bytes.")
    }
}

/// Checks artifact keys so that no key can name a path outside its store.
public enum ArtifactKey {
    /// Returns the key's segments, or throws `.invalidArgument` for an empty, absolute or traversing key.
    public static func segments(of key: String) throws -> [Substring] {
        guard !key.isEmpty else { throw ArtifactKeyError.invalid(key, "it is empty") }
        guard !key.hasPrefix("/") else { throw ArtifactKeyError.invalid(key, "it is absolute") }
        guard !key.utf8.contains(0) else { throw ArtifactKeyError.invalid(key, "it contains a NUL byte") }
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            if part.isEmpty { throw ArtifactKeyError.invalid(key, "it has an empty segment") }
            if part == "." || part == ".." { throw ArtifactKeyError.invalid(key, "it has a '\(part)' segment") }
        }
        return parts
    }
}
