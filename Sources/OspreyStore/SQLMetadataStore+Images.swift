import Foundation
import OspreyCore
import SQLKit

/// User image mappings: one row per pattern, server-wide; the package list as JSON.
extension SQLMetadataStore {
    public func insertImageMapping(_ mapping: ImageMapping) async throws {
        let conflict = OspreyError(.alreadyExists, "An image mapping for '\(mapping.pattern)' already exists; remove it first.")
        let packages = JSONColumn.encode(mapping.packages)
        try await write("storing an image mapping", conflict: conflict) { database in
            try await database.insert(into: "image_mappings")
                .columns("pattern", "environment", "python", "packages", "created_at")
                .values(
                    SQLBind(mapping.pattern), SQLBind(mapping.environment), SQLBind(mapping.python), SQLBind(packages),
                    SQLBind(mapping.createdAt.epochMilliseconds)
                )
                .run()
        }
    }

    public func imageMappings() async throws -> [ImageMapping] {
        try await read("listing image mappings") { database in
            try await database.select().column("*").from("image_mappings").orderBy("pattern").all().map { row in
                ImageMapping(
                    pattern: try row.string("pattern"), environment: try row.string("environment"),
                    python: try row.decode(column: "python", as: String?.self), packages: try row.json("packages", as: [String].self),
                    createdAt: try row.date("created_at")
                )
            }
        }
    }

    public func deleteImageMapping(pattern: String) async throws -> Bool {
        try await write("removing an image mapping") { database in
            try await database.delete(from: "image_mappings").where("pattern", .equal, pattern).returning("pattern").first() != nil
        }
    }
}
