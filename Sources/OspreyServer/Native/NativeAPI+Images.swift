import Foundation
import Hummingbird
import OspreyCore
import OspreyServices

/// `/api/v1/images`: every image mapping (user ones first, in resolution order); admin keys add and remove user mappings.
extension NativeAPI {
    static let imagesPrefix = "/api/v1/images/"

    func listImages() async throws -> Response {
        try Self.json(["images": try await images.resolver().listing.map(Self.describe)])
    }

    /// Adds a mapping from `{"pattern", "python" | "packages": [specs], "name"?}`; 201 with the mapping.
    func addImage(_ auth: AuthenticatedRequest) async throws -> Response {
        try Self.requireImageAdmin(auth.principal)
        let body = try await auth.collectBody(limit: 64 << 10)
        guard let input = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any], let pattern = input["pattern"] as? String
        else {
            throw OspreyError(
                .validation, #"The body must be a JSON object like {"pattern": "…/my-team/*", "packages": ["scikit-learn==1.5.*"]}."#)
        }
        let packages: [String]?
        switch input["packages"] {
        case nil, is NSNull: packages = nil
        case let list as [String]: packages = list
        default: throw OspreyError(.validation, #""packages" must be a list of package specs, such as ["torch==2.1.*", "pandas"]."#)
        }
        let python = input["python"] as? String
        let name = input["name"] as? String
        for (key, value) in [("python", python), ("name", name)] where value == nil && !(input[key] == nil || input[key] is NSNull) {
            throw OspreyError(.validation, #"""# + key + #"" must be a string."#)
        }
        let mapping = try await images.add(pattern: pattern, python: python, packages: packages, name: name)
        var described = Self.describe(ImageRegistry.Resolver(userMappings: [mapping]).listing[0])
        described["createdAt"] = ISO8601DateFormatter().string(from: mapping.createdAt)
        described["packageList"] = mapping.packages
        return try Self.json(described, status: .created)
    }

    /// Removes the user mapping whose pattern is the percent-decoded rest of the path; 204.
    func removeImage(_ auth: AuthenticatedRequest, path: String) async throws -> Response {
        try Self.requireImageAdmin(auth.principal)
        let raw = String(path.dropFirst(Self.imagesPrefix.count))
        try await images.remove(pattern: raw.removingPercentEncoding ?? raw)
        return Response(status: .noContent)
    }

    static func describe(_ mapping: ImageRegistry.Mapping) -> [String: Any] {
        var described: [String: Any] = [
            "image": mapping.pattern, "environment": mapping.environment, "packages": mapping.packages, "builtin": mapping.isBuiltIn,
        ]
        if let python = mapping.python { described["python"] = python }
        return described
    }

    private static func requireImageAdmin(_ principal: Principal) throws {
        guard principal.isAdmin else { throw OspreyError(.accessDenied, "Only an admin key may add or remove image mappings.") }
    }
}
