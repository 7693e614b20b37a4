import Foundation
public import OspreyCompute

/// The Python interpreters jobs and model workers run with, made on first use under one folder (outside the data folder,
/// which user code cannot see) and cached.
public struct PythonEnvironments: Sendable {
    /// `<root>/python` is the plain venv, `<root>/images/<name>.txt` the package lists of framework environments,
    /// `<root>/requirements/...` the environments made from package lists and `requirements.txt` files.
    public let root: String

    public init(root: String) { self.root = root }

    /// The interpreter of an image's environment: a user mapping's own interpreter, the plain venv, or one with the
    /// framework's packages (made on first use, pip's output through `log`), cached by the package list and the interpreter.
    public func python(for environment: ImageRegistry.Environment, log: @escaping @Sendable (String) -> Void) async throws -> String {
        if let python = try ImageService.interpreter(of: environment) { return python }
        let base = try await PythonEnvironment.ensure(at: root + "/python")
        guard !environment.packages.isEmpty else { return base }
        let specs = root + "/images"
        try FileManager.default.createDirectory(atPath: specs, withIntermediateDirectories: true)
        let file = specs + "/\(environment.name).txt"
        let text = environment.packages.joined(separator: "\n") + "\n"
        if (try? String(contentsOfFile: file, encoding: .utf8)) != text { try text.write(toFile: file, atomically: true, encoding: .utf8) }
        log("Preparing the \(environment.name) environment (\(environment.packages.joined(separator: ", ")))")
        return try await PythonEnvironment.installRequirements(file, baseVenvPython: base, cacheRoot: root + "/requirements", log: log)
    }

    /// `python` with the packages of a `requirements.txt` installed on top, in an environment cached by the file's bytes
    /// and the interpreter; `python` itself when there is no such file.
    public func adding(requirements file: String, to python: String, log: @escaping @Sendable (String) -> Void) async throws -> String {
        guard FileManager.default.fileExists(atPath: file) else { return python }
        return try await PythonEnvironment.installRequirements(file, baseVenvPython: python, cacheRoot: root + "/requirements", log: log)
    }
}
