/// How the path of a request becomes the canonical URI.
public enum CanonicalURIMode: Sendable, Hashable {
    /// S3: the raw path exactly as sent (already percent-encoded), no normalisation, no second encoding; empty is `/`.
    case s3
    /// Every other service, as botocore does: remove `.`/`..` segments and repeated slashes, keep a trailing slash,
    /// then percent-encode the result keeping `/` — so an already-encoded path is encoded again (`%` becomes `%25`).
    case standard
}

/// The canonical URI line of a canonical request.
public enum CanonicalURI {
    /// The canonical URI for `rawPath` (the path as sent on the wire, without the query) in `mode`.
    public static func make(rawPath: String, mode: CanonicalURIMode) -> String {
        switch mode {
        case .s3:
            return rawPath.isEmpty ? "/" : rawPath
        case .standard:
            return URIEncoding.encode(normalize(rawPath), keepSlash: true)
        }
    }

    /// botocore's `normalize_url_path`: dot segments resolved, empty segments dropped, trailing slash kept.
    static func normalize(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
                continue
            }
            output.append(segment)
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }
}
