public import OspreyCore

extension ImageRegistry {
    /// Every mapping at one moment: the user's, most specific first (exact patterns, then globs by how many characters they
    /// fix), then the built-ins. Training jobs and models resolve their images with it.
    public struct Resolver: Sendable {
        /// The user mappings in the order they are tried.
        public let userMappings: [ImageMapping]

        public init(userMappings: [ImageMapping]) {
            self.userMappings = userMappings.sorted(by: Self.isMoreSpecific)
        }

        /// The environment for `image`, nil when no mapping knows it.
        public func environment(for image: String) -> Environment? {
            if let mapping = userMappings.first(where: { Self.matches($0.pattern, image) }) {
                return Environment(name: mapping.environment, packages: mapping.packages, python: mapping.python)
            }
            return ImageRegistry.environment(for: image)
        }

        /// The environment for `image`; throws `.validation` naming every known pattern when there is none.
        public func resolve(_ image: String, kind: String = "training image") throws -> Environment {
            guard let environment = environment(for: image) else {
                throw OspreyError(
                    .validation,
                    "Unknown \(kind) '\(image)'. Osprey knows: \(listing.map(\.pattern).joined(separator: "; ")) (see `osprey images list`)."
                )
            }
            return environment
        }

        /// The user mappings in resolution order, then the built-ins.
        public var listing: [Mapping] {
            userMappings.map { mapping in
                let packages = mapping.python.map { "(interpreter \($0))" } ?? mapping.packages.joined(separator: ", ")
                return Mapping(
                    pattern: mapping.pattern, environment: mapping.environment, packages: packages, isBuiltIn: false, python: mapping.python)
            } + ImageRegistry.mappings
        }

        /// Whether `image` matches `pattern`, where each `*` matches any run of characters (none included).
        public static func matches(_ pattern: String, _ image: String) -> Bool {
            let pattern = Array(pattern.utf8)
            let image = Array(image.utf8)
            var (p, i) = (0, 0)
            var star: (pattern: Int, image: Int)?
            while i < image.count {
                if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                    star = (p, i)
                    p += 1
                } else if p < pattern.count, pattern[p] == image[i] {
                    p += 1
                    i += 1
                } else if let last = star {
                    // Let the last star take one more character and try again from there.
                    p = last.pattern + 1
                    i = last.image + 1
                    star = (last.pattern, last.image + 1)
                } else {
                    return false
                }
            }
            while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
            return p == pattern.count
        }

        /// Exact patterns first, then globs fixing more characters, then by pattern (so the order never depends on the store).
        static func isMoreSpecific(_ a: ImageMapping, _ b: ImageMapping) -> Bool {
            let (aGlob, bGlob) = (a.pattern.contains("*"), b.pattern.contains("*"))
            if aGlob != bGlob { return !aGlob }
            let (aFixed, bFixed) = (Self.fixedCharacters(a.pattern), Self.fixedCharacters(b.pattern))
            if aFixed != bFixed { return aFixed > bFixed }
            return Array(a.pattern.utf8).lexicographicallyPrecedes(Array(b.pattern.utf8))
        }

        private static func fixedCharacters(_ pattern: String) -> Int { pattern.utf8.count(where: { $0 != UInt8(ascii: "*") }) }
    }
}
