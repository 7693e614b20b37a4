import HTTPTypes
import Hummingbird

/// The S3 operation a path-style request names, for metrics and logs.
enum S3Operation {
    static func name(_ request: Request) -> String {
        let path = request.uri.path.dropFirst()
        let query = request.uri.query ?? ""
        let has = { (name: String) in
            query.split(separator: "&").contains { $0 == name || $0.hasPrefix(name + "=") }
        }
        if path.isEmpty { return "ListBuckets" }
        let isObject = path.firstIndex(of: "/").map { path.index(after: $0) != path.endIndex } ?? false
        switch (request.method, isObject) {
        case (.put, false): return "CreateBucket"
        case (.head, false): return "HeadBucket"
        case (.delete, false): return "DeleteBucket"
        case (.get, false): return has("uploads") ? "ListMultipartUploads" : has("list-type") ? "ListObjectsV2" : "ListObjects"
        case (.post, false): return "DeleteObjects"
        case (.put, true):
            if has("uploadId") { return "UploadPart" }
            return request.headers[.xAmzCopySource] != nil ? "CopyObject" : "PutObject"
        case (.get, true): return has("uploadId") ? "ListParts" : "GetObject"
        case (.head, true): return "HeadObject"
        case (.delete, true): return has("uploadId") ? "AbortMultipartUpload" : "DeleteObject"
        case (.post, true): return has("uploads") ? "CreateMultipartUpload" : "CompleteMultipartUpload"
        default: return "Unknown"
        }
    }
}
