import Foundation
import OspreyCore

/// Where an S3 service listens: `http(s)://host[:port]`, without path.
struct S3Endpoint: Sendable, CustomStringConvertible {
    /// `http` or `https`.
    let scheme: String
    /// `host[:port]` as written (IPv6 hosts in brackets).
    let authority: String

    /// Parses `http(s)://host[:port]`; a trailing `/` is accepted, any other path is refused.
    init(_ text: String) throws {
        let invalid = OspreyError(.validation, "Invalid S3 endpoint '\(text)': expected http(s)://host[:port].")
        guard let separator = text.range(of: "://") else { throw invalid }
        let scheme = text[..<separator.lowerBound].lowercased()
        var authority = text[separator.upperBound...]
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard scheme == "http" || scheme == "https", !authority.isEmpty,
            !authority.contains(where: { "/?#@ ".contains($0) })
        else { throw invalid }
        self.scheme = scheme
        self.authority = String(authority)
    }

    var description: String { "\(scheme)://\(authority)" }
}
