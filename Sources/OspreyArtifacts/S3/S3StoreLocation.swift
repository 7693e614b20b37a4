import OspreyCore
import OspreySigV4

/// The parts of an `s3://bucket/prefix?endpoint=…&region=…` artifacts URL, with credentials resolved.
struct S3StoreLocation: Sendable, Equatable {
    var bucket: String
    /// Segments joined by `/`, without leading or trailing `/`; empty for the bucket's root.
    var prefix: String
    var endpoint: String
    var region: String
    var accessKeyId: String
    var secretAccessKey: String
    var sessionToken: String?

    static let parameters: Set<String> = ["endpoint", "region", "access_key_id", "secret_access_key", "session_token"]

    /// Parses `url`; what the query leaves out comes from `environment` (the AWS variables), then defaults.
    init(url: String, environment: [String: String]) throws {
        guard url.hasPrefix("s3://") else { throw Self.invalid("it does not start with s3://") }
        let rest = url.dropFirst("s3://".count)
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let nameValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = URIEncoding.decode(nameValue[0])
                guard Self.parameters.contains(name) else {
                    throw Self.invalid("unknown parameter '\(name)' (known: \(Self.parameters.sorted().joined(separator: ", ")))")
                }
                // `+` stays literal: secret keys contain it.
                query[name] = nameValue.count > 1 ? URIEncoding.decode(nameValue[1]) : ""
            }
        }
        let path = parts[0]
        let slash = path.firstIndex(of: "/") ?? path.endIndex
        bucket = String(path[..<slash])
        guard !bucket.isEmpty else { throw Self.invalid("it names no bucket") }
        // Validated by the store, as every key is.
        prefix = URIEncoding.decode(path[slash...].trimmingSlashes)

        region =
            Self.value(query["region"]) ?? Self.value(environment["AWS_REGION"]) ?? Self.value(environment["AWS_DEFAULT_REGION"])
            ?? "us-east-1"
        endpoint =
            Self.value(query["endpoint"]) ?? Self.value(environment["AWS_ENDPOINT_URL_S3"])
            ?? Self.value(environment["AWS_ENDPOINT_URL"]) ?? "https://s3.\(region).amazonaws.com"
        switch (Self.value(query["access_key_id"]), Self.value(query["secret_access_key"])) {
        case (let id?, let secret?):
            accessKeyId = id
            secretAccessKey = secret
            sessionToken = Self.value(query["session_token"])
        case (nil, nil):
            guard let id = Self.value(environment["AWS_ACCESS_KEY_ID"]), let secret = Self.value(environment["AWS_SECRET_ACCESS_KEY"]) else {
                throw Self.invalid(
                    "it has no credentials: add access_key_id and secret_access_key to its query, "
                        + "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            accessKeyId = id
            secretAccessKey = secret
            sessionToken = Self.value(environment["AWS_SESSION_TOKEN"])
        default:
            throw Self.invalid("give both access_key_id and secret_access_key, or neither")
        }
    }

    private static func value(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// The URL is never echoed: it may carry a secret.
    private static func invalid(_ reason: String) -> OspreyError {
        OspreyError(.validation, "Invalid S3 artifacts URL: \(reason). Expected s3://bucket/prefix?endpoint=http://host:port&region=…")
    }
}

extension Substring {
    fileprivate var trimmingSlashes: Substring {
        var text = self
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        return text
    }
}
