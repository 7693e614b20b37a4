import Foundation

extension S3Client {
    /// What S3 says about one object, from `headObject` or a listing.
    public struct ObjectInfo: Sendable, Hashable {
        /// The object's key (decoded, as it was written).
        public var key: String
        /// The size in bytes.
        public var size: Int64
        /// The entity tag without its quotes (an MD5 hex digest for single-part uploads on AWS).
        public var etag: String
        /// When the object was last written (the Unix epoch when the server sent no parsable date).
        public var lastModified: Date
        /// The `Content-Type` it was stored with; always nil in listings, which do not carry it.
        public var contentType: String?

        public init(key: String, size: Int64, etag: String, lastModified: Date, contentType: String?) {
            self.key = key
            self.size = size
            self.etag = etag
            self.lastModified = lastModified
            self.contentType = contentType
        }
    }

    /// One page of a listing, or all of them: objects and, with a delimiter, the common prefixes that roll keys up.
    public typealias Listing = (objects: [ObjectInfo], commonPrefixes: [String])
}

/// `"abc"` → `abc`; S3 quotes entity tags in headers and XML.
func unquotedETag(_ value: String) -> String {
    var text = Substring(value)
    if text.hasPrefix("W/") { text = text.dropFirst(2) }
    if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = text.dropFirst().dropLast() }
    return String(text)
}
