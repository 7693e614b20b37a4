import Foundation
import OspreyCore
import OspreySigV4

extension S3Client {
    /// Every object of `bucket` whose key starts with `prefix`, following ListObjectsV2 continuation tokens to the end.
    ///
    /// With a `delimiter` (usually `/`), keys that contain it after the prefix are rolled up into `commonPrefixes` (each
    /// ending with the delimiter) instead of being listed. Keys come in S3's order (by UTF-8 bytes). Keys are requested
    /// URL-encoded, so any key, even one with characters XML cannot carry, comes back exactly. Throws `NoSuchBucket`.
    public func listObjects(bucket: String, prefix: String = "", delimiter: String? = nil) async throws -> Listing {
        try await listObjects(bucket: bucket, prefix: prefix, delimiter: delimiter, pageSize: nil)
    }

    /// `listObjects` asking for pages of at most `pageSize` entries (`max-keys`; S3's default and limit is 1000).
    func listObjects(bucket: String, prefix: String, delimiter: String?, pageSize: Int?) async throws -> Listing {
        var objects: [ObjectInfo] = []
        var commonPrefixes: [String] = []
        var token: String?
        repeat {
            var call = S3Call("GET", bucket: bucket)
            call.query = [(name: "list-type", value: "2"), (name: "encoding-type", value: "url")]
            if !prefix.isEmpty { call.query.append((name: "prefix", value: prefix)) }
            if let delimiter { call.query.append((name: "delimiter", value: delimiter)) }
            if let pageSize { call.query.append((name: "max-keys", value: String(pageSize))) }
            if let token { call.query.append((name: "continuation-token", value: token)) }
            let page = S3XML(try await perform(call).body)
            let urlEncoded = page.text("EncodingType") == "url"
            let decode = { (text: String) in urlEncoded ? Self.formDecode(text) : text }
            for contents in page.elements("Contents") {
                guard let key = contents.text("Key") else { continue }
                objects.append(
                    ObjectInfo(
                        key: decode(key), size: contents.text("Size").flatMap { Int64($0) } ?? 0,
                        etag: unquotedETag(contents.text("ETag") ?? ""),
                        lastModified: contents.text("LastModified").flatMap(S3DateParser.iso8601) ?? Date(timeIntervalSince1970: 0),
                        contentType: nil
                    )
                )
            }
            for common in page.elements("CommonPrefixes") {
                if let rolledUp = common.text("Prefix") { commonPrefixes.append(decode(rolledUp)) }
            }
            guard page.text("IsTruncated") == "true" else { break }
            guard let next = page.text("NextContinuationToken"), !next.isEmpty, next != token else {
                throw OspreyError(.internalError, "\(endpoint) answered a truncated listing of \(bucket) without a new continuation token.")
            }
            token = next
        } while true
        return (objects, commonPrefixes)
    }

    /// Decodes S3's `encoding-type=url` text: `+` is a space, `%XX` a byte.
    static func formDecode(_ text: String) -> String {
        URIEncoding.decode(text.replacingOccurrences(of: "+", with: " "))
    }
}
