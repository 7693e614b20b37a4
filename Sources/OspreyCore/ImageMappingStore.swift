import Foundation

/// A user-defined mapping from training images to a local Python environment (`osprey images add`), server-wide.
public struct ImageMapping: Sendable, Hashable {
    /// An exact image URI, or a glob where each `*` matches any run of characters (`/` and `:` included).
    public var pattern: String
    /// The environment's name: what listings show, and the folder of an Osprey venv.
    public var environment: String
    /// An existing interpreter (e.g. of a conda environment) used as it is; nil when `packages` describe an Osprey venv.
    public var python: String?
    /// What pip installs into an Osprey venv made on first use; empty when `python` is set.
    public var packages: [String]
    public var createdAt: Date

    public init(pattern: String, environment: String, python: String?, packages: [String], createdAt: Date) {
        self.pattern = pattern
        self.environment = environment
        self.python = python
        self.packages = packages
        self.createdAt = createdAt
    }
}

/// User image mappings. They are server-wide (not scoped by account) and carry no outbox events: only admin keys manage
/// them, and they configure the server rather than an account's resources.
public protocol ImageMappingStore: Sendable {
    /// Throws `.alreadyExists` when a mapping has this pattern.
    func insertImageMapping(_ mapping: ImageMapping) async throws
    /// Every mapping, by pattern in UTF-8 byte order.
    func imageMappings() async throws -> [ImageMapping]
    /// Removes the mapping of this exact pattern; returns false when there was none.
    func deleteImageMapping(pattern: String) async throws -> Bool
}
