import Foundation
import OspreyCore
import OspreyServices
import OspreyStore
import Testing

/// User image mappings over a real SQLite store: validation, resolution order, removal.
@Suite("Image service")
struct ImageServiceTests {
    static let team = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/*"
    static let sklearn = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

    static func mapping(_ pattern: String, _ environment: String) -> ImageMapping {
        ImageMapping(pattern: pattern, environment: environment, python: nil, packages: ["pandas"], createdAt: Date())
    }

    @Test func userMappingsComeFirstExactThenTheLongestGlob() {
        let resolver = ImageRegistry.Resolver(userMappings: [
            Self.mapping("*.dkr.ecr.*.amazonaws.com/*", "any-ecr"),
            Self.mapping(Self.team, "team"),
            Self.mapping("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/trainer:*", "trainer"),
            Self.mapping("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/trainer:1.0", "trainer-1.0"),
            Self.mapping("osprey/python:custom", "custom-python"),
        ])
        #expect(resolver.userMappings.map(\.environment) == ["trainer-1.0", "custom-python", "trainer", "team", "any-ecr"])
        func environment(_ image: String) -> String? { resolver.environment(for: image)?.name }
        #expect(environment("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/trainer:1.0") == "trainer-1.0")
        #expect(environment("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/trainer:2.0") == "trainer")
        #expect(environment("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/nested/other:3") == "team")
        #expect(environment("999.dkr.ecr.eu-west-1.amazonaws.com/someone/else:1") == "any-ecr")
        // A user glob over a built-in image wins; images no pattern matches still reach the built-ins.
        #expect(environment(Self.sklearn) == "any-ecr")
        #expect(environment("osprey/python:custom") == "custom-python")
        #expect(environment("osprey/python:3.11") == "python")
        #expect(environment("registry.example.com/unknown:1") == nil)
        #expect(resolver.listing.map(\.isBuiltIn) == [false, false, false, false, false, true, true, true, true])
        #expect(throws: OspreyError.self) { try resolver.resolve("registry.example.com/unknown:1") }
        do {
            _ = try resolver.resolve("registry.example.com/unknown:1")
        } catch let error as OspreyError {
            #expect(error.code == .validation)
            #expect(error.message.contains("Unknown training image 'registry.example.com/unknown:1'"))
            #expect(error.message.contains(Self.team) && error.message.contains("osprey/python[:tag]"))
        } catch {}
    }

    @Test(arguments: [
        ("a*c", "abc", true), ("a*c", "ac", true), ("a*c", "abcd", false), ("*:1.0", "repo/x:1.0", true), ("a**b", "ab", true),
        ("exact:1", "exact:1", true), ("exact:1", "exact:10", false), ("x/*/z", "x/y/q/z", true), ("x/*/z", "x/z", false),
    ])
    func globs(_ pattern: String, _ image: String, _ matches: Bool) {
        #expect(ImageRegistry.Resolver.matches(pattern, image) == matches)
    }

    @Test func addValidatesAndTheStoreDecides() async throws {
        try await SecretServiceTests.withStore { store, folder in
            let images = ImageService(store: store)
            let python = folder + "/bin/python"
            try FileManager.default.createDirectory(atPath: folder + "/bin", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: python, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
            _ = FileManager.default.createFile(atPath: folder + "/bin/data", contents: Data(), attributes: [.posixPermissions: 0o644])

            func code(_ pattern: String, python: String? = nil, packages: [String]? = nil, name: String? = nil) async -> OspreyError.Code? {
                await SecretServiceTests.errorCode { _ = try await images.add(pattern: pattern, python: python, packages: packages, name: name) }
            }
            #expect(await code("registry/x", python: "bin/python") == .validation)  // relative
            #expect(await code("registry/x", python: folder + "/bin/missing") == .validation)
            #expect(await code("registry/x", python: folder + "/bin") == .validation)  // a folder
            #expect(await code("registry/x", python: folder + "/bin/data") == .validation)  // not executable
            #expect(await code("registry/x") == .validation)  // neither
            #expect(await code("registry/x", python: python, packages: ["pandas"]) == .validation)  // both
            for spec in ["pandas; rm -rf /", "$(reboot)", "`id`", "-r /etc/passwd", "--index-url=http://x", "pkg @ https://x/p.whl", "a|b", "",
                "pandas --global-option=x", "numpy >= 1.26"] {
                #expect(await code("registry/x", packages: [spec]) == .validation, "\(spec)")
            }
            #expect(await code("registry/x", packages: []) == .validation)
            for pattern in ["", "*", "**", "has space:1", "quote'd", "a;b"] {
                #expect(await code(pattern, packages: ["pandas"]) == .validation, "\(pattern)")
            }
            for name in ["python", "sklearn-1.2", "-dash", "has/slash", String(repeating: "n", count: 65)] {
                #expect(await code("registry/x", packages: ["pandas"], name: name) == .validation, "\(name)")
            }
            #expect(try await store.imageMappings().isEmpty)

            let added = try await images.add(pattern: Self.team, python: nil, packages: [" scikit-learn==1.5.* ", "numpy>=1.26,<2"], name: nil)
            #expect(added.environment == "my-team" && added.packages == ["scikit-learn==1.5.*", "numpy>=1.26,<2"] && added.python == nil)
            let conda = try await images.add(pattern: "conda/trainer:1", python: python, packages: nil, name: "conda-team")
            #expect(conda.python == python && conda.packages.isEmpty)
            #expect(await code(Self.team, python: python) == .alreadyExists)
            // A name may be shared only by mappings to the same environment.
            #expect(await code("conda/trainer:2", packages: ["pandas"], name: "conda-team") == .alreadyExists)
            _ = try await images.add(pattern: "conda/trainer:2", python: python, packages: nil, name: "conda-team")

            let resolved = try await images.resolve("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/x:1")
            #expect(resolved == ImageRegistry.Environment(name: "my-team", packages: ["scikit-learn==1.5.*", "numpy>=1.26,<2"]))
            #expect(try await images.resolve("conda/trainer:1") == ImageRegistry.Environment(name: "conda-team", packages: [], python: python))

            try await images.remove(pattern: "conda/trainer:1")
            #expect(await SecretServiceTests.errorCode { try await images.remove(pattern: "conda/trainer:1") } == .notFound)
            #expect(await SecretServiceTests.errorCode { try await images.remove(pattern: "osprey/python[:tag]") } == .notFound)
            #expect(await SecretServiceTests.errorCode { _ = try await images.resolve("conda/trainer:1") } == .validation)
            #expect(try await images.resolver().userMappings.map(\.pattern) == ["conda/trainer:2", Self.team])
        }
    }

    @Test(arguments: [
        (team, "my-team"), ("MyImage:1.0", "MyImage-1.0"), ("registry.example.com:5000/a/b:*", "a-b"), ("*/python*", "custom-python"),
        ("localhost:5000/x", "x"),
    ])
    func defaultNamesComeFromThePattern(_ pattern: String, _ name: String) async throws {
        try await SecretServiceTests.withStore { store, _ in
            let added = try await ImageService(store: store).add(pattern: pattern, python: nil, packages: ["pandas"], name: nil)
            #expect(added.environment == name)
        }
    }
}
