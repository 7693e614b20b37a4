public import Foundation

/// Maps training images to local Python environments: `osprey/python` is the plain one; the SageMaker SDK's framework
/// image URIs (scikit-learn, XGBoost, PyTorch) get an environment with that framework, made on first use. User mappings
/// come before these (see `Resolver`).
public enum ImageRegistry {
    /// A local environment: a name (its folder) and what pip installs into it on top of the plain one, or an existing
    /// interpreter used as it is.
    public struct Environment: Sendable, Hashable {
        public var name: String
        public var packages: [String]
        /// An interpreter outside Osprey (a user mapping's `--python`); when set, `packages` is empty and no venv is made.
        public var python: String?

        public init(name: String, packages: [String], python: String? = nil) {
            self.name = name
            self.packages = packages
            self.python = python
        }
    }

    /// One mapping, as `osprey images list` shows it.
    public struct Mapping: Sendable, Hashable {
        public var pattern: String
        public var environment: String
        public var packages: String
        /// False for a user mapping (`osprey images add`).
        public var isBuiltIn = true
        /// A user mapping's interpreter, when it names one.
        public var python: String?
    }

    public static let mappings: [Mapping] = [
        Mapping(pattern: "osprey/python[:tag]", environment: "python", packages: "(standard library only)"),
        Mapping(
            pattern: "<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-scikit-learn:<version>-cpu-py3", environment: "sklearn-<version>",
            packages: "scikit-learn==<version>.*, pandas (numpy<2 before 1.4)"),
        Mapping(
            pattern: "<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-xgboost:<version>", environment: "xgboost-<version>",
            packages: "xgboost==<version>.*, scikit-learn, pandas"),
        Mapping(
            pattern: "<account>.dkr.ecr.<region>.amazonaws.com/pytorch-training:<version>-cpu-<py>", environment: "pytorch-<version>",
            packages: "torch==<version>.* (CPU)"),
    ]

    /// The built-in environment for `image`, nil when no built-in mapping knows it.
    public static func environment(for image: String) -> Environment? {
        if image == "osprey/python" || image.hasPrefix("osprey/python:") { return Environment(name: "python", packages: []) }
        guard let slash = image.firstIndex(of: "/"), image[..<slash].contains(".dkr.ecr."),
            let colon = image.lastIndex(of: ":"), colon > slash
        else { return nil }
        let repository = String(image[image.index(after: slash)..<colon])
        let tag = String(image[image.index(after: colon)...])
        // Tags look like `1.2-1-cpu-py3`, `1.7-1`, `2.1-cpu-py310`: the framework version is the first dotted part.
        guard let version = tag.split(separator: "-").first.map(String.init), version.first?.isNumber == true,
            version.allSatisfy({ $0.isNumber || $0 == "." })
        else { return nil }
        switch repository {
        case "sagemaker-scikit-learn":
            // scikit-learn before 1.4 is built against NumPy 1.x and fails to import with NumPy 2.
            let numpy = version.split(separator: ".").compactMap { Int($0) }.lexicographicallyPrecedes([1, 4]) ? ["numpy<2"] : []
            return Environment(name: "sklearn-\(version)", packages: ["scikit-learn==\(version).*", "pandas"] + numpy)
        case "sagemaker-xgboost":
            return Environment(name: "xgboost-\(version)", packages: ["xgboost==\(version).*", "scikit-learn", "pandas"])
        case "pytorch-training":
            guard tag.contains("cpu") else { return nil }
            return Environment(name: "pytorch-\(version)", packages: ["torch==\(version).*"])
        default: return nil
        }
    }
}
