public import OspreyCore

/// Image → environment mappings: the built-ins plus the user's (`osprey images add`), kept in the metadata store so every
/// server on the same database sees the same ones. Each lookup reads the store, so an added mapping applies at once.
public struct ImageService: Sendable {
    let store: any ImageMappingStore
    let clock: any WallClock

    public init(store: any ImageMappingStore, clock: any WallClock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// Every mapping as it is now, to resolve images with.
    public func resolver() async throws -> ImageRegistry.Resolver {
        ImageRegistry.Resolver(userMappings: try await store.imageMappings())
    }

    /// The environment for `image`; throws `.validation` naming the known patterns when no mapping knows it.
    public func resolve(_ image: String, kind: String = "training image") async throws -> ImageRegistry.Environment {
        try await resolver().resolve(image, kind: kind)
    }

    /// Adds a user mapping to exactly one of an existing interpreter (`python`) or an Osprey venv with `packages`. `name`
    /// defaults to one made from the pattern. Throws `.validation` for a bad pattern, interpreter, package spec or name, and
    /// `.alreadyExists` when the pattern is mapped or the name is taken by a different environment.
    public func add(pattern: String, python: String?, packages: [String]?, name: String?) async throws -> ImageMapping {
        try ImageMappingRules.validate(pattern: pattern)
        var mapping = ImageMapping(
            pattern: pattern, environment: name ?? ImageMappingRules.defaultName(for: pattern), python: nil, packages: [],
            createdAt: clock.now())
        switch (python, packages) {
        case (let python?, nil): mapping.python = try ImageMappingRules.interpreter(python)
        case (nil, let packages?): mapping.packages = try ImageMappingRules.packages(packages)
        default: throw OspreyError(.validation, "Give exactly one of --python (an existing interpreter) or --packages (an Osprey venv).")
        }
        try ImageMappingRules.validate(name: mapping.environment)
        let existing = try await store.imageMappings()
        if let same = existing.first(where: { $0.environment == mapping.environment }),
            same.python != mapping.python || same.packages != mapping.packages
        {
            throw OspreyError(
                .alreadyExists,
                "The environment name '\(mapping.environment)' is used by '\(same.pattern)' with a different interpreter or packages; "
                    + "choose another --name.")
        }
        try await store.insertImageMapping(mapping)
        return mapping
    }

    /// Removes the user mapping of exactly this pattern; throws `.notFound` when there is none (built-ins cannot be removed).
    public func remove(pattern: String) async throws {
        guard try await store.deleteImageMapping(pattern: pattern) else {
            throw OspreyError(.notFound, "No user image mapping has the pattern '\(pattern)' (built-in mappings cannot be removed).")
        }
    }

    /// Checks at run time that a mapping's interpreter is still there; returns it.
    static func interpreter(of environment: ImageRegistry.Environment) throws -> String? {
        try environment.python.map(ImageMappingRules.interpreter)
    }
}
