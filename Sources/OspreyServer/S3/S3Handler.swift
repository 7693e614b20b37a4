import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OspreyCore
import OspreyServices

/// The S3 REST adapter (path-style): decodes a request, calls `ObjectService`, encodes S3's XML and headers.
struct S3Handler: Sendable {
    let objects: ObjectService

    func handle(_ request: Request, _ auth: AuthenticatedRequest) async throws -> Response {
        let s3 = try S3Request(request)
        let account = auth.principal.accountId
        guard let bucket = s3.bucket else {
            guard request.method == .get else { throw methodNotAllowed(request) }
            return try await listBuckets(account: account)
        }
        guard let key = s3.key else {
            switch request.method {
            case .put: return try await createBucket(bucket, auth)
            case .head: return try await headBucket(bucket, account: account)
            case .delete:
                try await objects.deleteBucket(bucket, accountId: account)
                return Response(status: .noContent)
            case .get:
                if s3.has("uploads") { return try await listUploads(bucket, s3, account: account) }
                if s3.has("location") { return try await location(bucket, account: account) }
                return try await listObjects(bucket, s3, account: account)
            case .post where s3.has("delete"): return try await deleteObjects(bucket, auth)
            default: throw methodNotAllowed(request)
            }
        }
        switch request.method {
        case .put:
            if let uploadId = s3.query["uploadId"] {
                if request.headers[.xAmzCopySource] != nil {
                    throw OspreyError(.notImplemented, "UploadPartCopy is not supported yet; upload the part's bytes instead.")
                }
                return try await uploadPart(bucket, key, uploadId: uploadId, s3, request, auth)
            }
            if let source = request.headers[.xAmzCopySource] { return try await copyObject(bucket, key, source: source, request, account) }
            return try await putObject(bucket, key, request, auth)
        case .get:
            if let uploadId = s3.query["uploadId"] { return try await listParts(bucket, key, uploadId: uploadId, s3, account: account) }
            return try await getObject(bucket, key, request, account: account, head: false)
        case .head: return try await getObject(bucket, key, request, account: account, head: true)
        case .delete:
            if let uploadId = s3.query["uploadId"] {
                try await objects.abortUpload(uploadId: uploadId, bucket: bucket, key: key, accountId: account)
            } else {
                try await objects.deleteObject(bucket: bucket, key: key, accountId: account)
            }
            return Response(status: .noContent)
        case .post:
            if s3.has("uploads") { return try await createUpload(bucket, key, request, account: account) }
            if let uploadId = s3.query["uploadId"] { return try await completeUpload(bucket, key, uploadId: uploadId, request, auth) }
            throw methodNotAllowed(request)
        default: throw methodNotAllowed(request)
        }
    }

    // MARK: Buckets

    private func listBuckets(account: String) async throws -> Response {
        let buckets = try await objects.buckets(accountId: account)
        var xml = XMLWriter()
        xml.open("ListAllMyBucketsResult", namespace: true)
        xml.element("Owner") { $0.element("ID", account); $0.element("DisplayName", account) }
        xml.element("Buckets") { xml in
            for bucket in buckets {
                xml.element("Bucket") {
                    $0.element("Name", bucket.name)
                    $0.element("CreationDate", S3Dates.iso8601(bucket.createdAt))
                }
            }
        }
        xml.close("ListAllMyBucketsResult")
        return Self.xml(xml)
    }

    private func createBucket(_ bucket: String, _ auth: AuthenticatedRequest) async throws -> Response {
        // The body, when sent, is a CreateBucketConfiguration; any region is accepted, but the XML must be well formed.
        let body = try await auth.collectBody(limit: 64 << 10)
        if !body.isEmpty { _ = try Self.parseXML(body) }
        try await objects.createBucket(bucket, accountId: auth.principal.accountId)
        var headers = HTTPFields()
        headers[.location] = "/\(bucket)"
        return Response(status: .ok, headers: headers)
    }

    private func headBucket(_ bucket: String, account: String) async throws -> Response {
        let found = try await objects.bucket(bucket, accountId: account)
        var headers = HTTPFields()
        headers[HTTPField.Name("x-amz-bucket-region")!] = found.region
        return Response(status: .ok, headers: headers)
    }

    private func location(_ bucket: String, account: String) async throws -> Response {
        let found = try await objects.bucket(bucket, accountId: account)
        // us-east-1 is spelled as an empty constraint.
        let region = found.region == "us-east-1" ? "" : XMLWriter.escape(found.region)
        return Self.xml(XMLWriter().text + #"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"# + region + "</LocationConstraint>")
    }

    // MARK: Listing

    private func listObjects(_ bucket: String, _ s3: S3Request, account: String) async throws -> Response {
        let v2 = s3.query["list-type"] == "2"
        let prefix = s3.query["prefix"] ?? ""
        let delimiter = s3.query["delimiter"].flatMap { $0.isEmpty ? nil : $0 }
        let maxKeys = try s3.int("max-keys", default: 1000, range: 0...Int.max)
        let urlEncoded = s3.query["encoding-type"] == "url"
        if let encoding = s3.query["encoding-type"], encoding != "url" {
            throw OspreyError(.invalidArgument, "Invalid Encoding Method specified in Request")
        }
        let after: String?
        if v2 {
            if let token = s3.query["continuation-token"] {
                guard let data = Data(base64Encoded: token), let decoded = String(data: data, encoding: .utf8) else {
                    throw OspreyError(.invalidArgument, "The continuation token provided is incorrect")
                }
                after = decoded
            } else {
                after = s3.query["start-after"].flatMap { $0.isEmpty ? nil : $0 }
            }
        } else {
            after = s3.query["marker"].flatMap { $0.isEmpty ? nil : $0 }
        }
        let listing = try await objects.list(
            bucket: bucket, prefix: prefix, delimiter: delimiter, after: after, maxKeys: min(maxKeys, 1000), accountId: account
        )
        let encode = { (text: String) in urlEncoded ? s3URLEncode(text) : text }
        var xml = XMLWriter()
        xml.open("ListBucketResult", namespace: true)
        xml.element("Name", bucket)
        xml.element("Prefix", encode(prefix))
        if let delimiter { xml.element("Delimiter", encode(delimiter)) }
        xml.element("MaxKeys", String(maxKeys))
        if urlEncoded { xml.element("EncodingType", "url") }
        xml.element("IsTruncated", listing.isTruncated ? "true" : "false")
        if v2 {
            xml.element("KeyCount", String(listing.objects.count + listing.commonPrefixes.count))
            if let token = s3.query["continuation-token"] { xml.element("ContinuationToken", token) }
            if let startAfter = s3.query["start-after"] { xml.element("StartAfter", encode(startAfter)) }
            if listing.isTruncated, let next = listing.next {
                xml.element("NextContinuationToken", Data(next.utf8).base64EncodedString())
            }
        } else {
            xml.element("Marker", encode(s3.query["marker"] ?? ""))
            if listing.isTruncated, let next = listing.next { xml.element("NextMarker", encode(next)) }
        }
        for object in listing.objects {
            xml.element("Contents") {
                $0.element("Key", encode(object.key))
                $0.element("LastModified", S3Dates.iso8601(object.lastModified))
                $0.element("ETag", "\"\(object.etag)\"")
                $0.element("Size", String(object.size))
                $0.element("StorageClass", "STANDARD")
            }
        }
        for prefix in listing.commonPrefixes {
            xml.element("CommonPrefixes") { $0.element("Prefix", encode(prefix)) }
        }
        xml.close("ListBucketResult")
        return Self.xml(xml)
    }

    // MARK: Objects

    private func putObject(_ bucket: String, _ key: String, _ request: Request, _ auth: AuthenticatedRequest) async throws -> Response {
        let new = ObjectService.NewObject(
            bucket: bucket, key: key, contentType: request.headers[.contentType], metadata: Self.userMetadata(request.headers),
            length: auth.decodedContentLength
        )
        let record = try await objects.putObject(new, accountId: auth.principal.accountId, body: auth.body)
        var headers = HTTPFields()
        headers[.eTag] = "\"\(record.etag)\""
        auth.echoChecksums(into: &headers)
        return Response(status: .ok, headers: headers)
    }

    private func getObject(_ bucket: String, _ key: String, _ request: Request, account: String, head: Bool) async throws -> Response {
        let record = try await objects.object(bucket: bucket, key: key, accountId: account)
        var headers = HTTPFields()
        headers[.eTag] = "\"\(record.etag)\""
        headers[.lastModified] = S3Dates.rfc1123(record.lastModified)
        headers[.contentType] = record.contentType
        headers[.acceptRanges] = "bytes"
        for (name, value) in record.metadata.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPField.Name("x-amz-meta-" + name) { headers[field] = value }
        }
        let range = try ByteRange.resolve(request.headers[.range], size: record.size)
        let served = range ?? 0..<record.size
        headers[.contentLength] = String(served.count)
        var status = HTTPResponse.Status.ok
        if let range {
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(record.size)"
        }
        if head { return Response(status: status, headers: headers) }
        let objects = self.objects
        let body = ResponseBody(contentLength: Int(served.count)) { writer in
            try await objects.read(record, range: range) { try await writer.write($0) }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    private func copyObject(_ bucket: String, _ key: String, source: String, _ request: Request, _ account: String) async throws -> Response {
        var path = source.split(separator: "?", maxSplits: 1).first.map(String.init) ?? source
        path = path.removingPercentEncoding ?? path
        if path.hasPrefix("/") { path.removeFirst() }
        guard let slash = path.firstIndex(of: "/"), slash != path.startIndex, path.index(after: slash) != path.endIndex else {
            throw OspreyError(.invalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
        }
        let sourceBucket = String(path[..<slash])
        let sourceKey = String(path[path.index(after: slash)...])
        let directive = request.headers[.xAmzMetadataDirective]?.uppercased() ?? "COPY"
        guard directive == "COPY" || directive == "REPLACE" else {
            throw OspreyError(.invalidArgument, "Unknown metadata directive.")
        }
        let replacing = directive == "REPLACE" ? (request.headers[.contentType], Self.userMetadata(request.headers)) : nil
        let record = try await objects.copyObject(
            from: (sourceBucket, sourceKey), to: (bucket, key), replacing: replacing, accountId: account
        )
        var xml = XMLWriter()
        xml.open("CopyObjectResult", namespace: true)
        xml.element("LastModified", S3Dates.iso8601(record.lastModified))
        xml.element("ETag", "\"\(record.etag)\"")
        xml.close("CopyObjectResult")
        return Self.xml(xml)
    }

    private func deleteObjects(_ bucket: String, _ auth: AuthenticatedRequest) async throws -> Response {
        let document = try Self.parseXML(try await auth.collectBody(limit: 2 << 20))
        guard document.name == "Delete" else { throw Self.malformedXML }
        let quiet = document.child("Quiet")?.text.lowercased() == "true"
        let keys = document.all("Object").compactMap { $0.child("Key")?.text }
        guard keys.count <= 1000 else { throw OspreyError(.malformedXML, "DeleteObjects takes at most 1000 keys.") }
        var xml = XMLWriter()
        xml.open("DeleteResult", namespace: true)
        for key in keys {
            do {
                try await objects.deleteObject(bucket: bucket, key: key, accountId: auth.principal.accountId)
                if !quiet { xml.element("Deleted") { $0.element("Key", key) } }
            } catch let error as OspreyError {
                xml.element("Error") {
                    $0.element("Key", key)
                    $0.element("Code", error.code.rawValue)
                    $0.element("Message", error.message)
                }
            }
        }
        xml.close("DeleteResult")
        return Self.xml(xml)
    }

    // MARK: Multipart

    private func createUpload(_ bucket: String, _ key: String, _ request: Request, account: String) async throws -> Response {
        let new = ObjectService.NewObject(
            bucket: bucket, key: key, contentType: request.headers[.contentType], metadata: Self.userMetadata(request.headers), length: nil
        )
        let upload = try await objects.createUpload(new, accountId: account)
        var xml = XMLWriter()
        xml.open("InitiateMultipartUploadResult", namespace: true)
        xml.element("Bucket", bucket)
        xml.element("Key", key)
        xml.element("UploadId", upload.id)
        xml.close("InitiateMultipartUploadResult")
        return Self.xml(xml)
    }

    private func uploadPart(
        _ bucket: String, _ key: String, uploadId: String, _ s3: S3Request, _ request: Request, _ auth: AuthenticatedRequest
    ) async throws -> Response {
        guard let number = s3.query["partNumber"].flatMap(Int.init) else {
            throw OspreyError(.invalidArgument, "Part number must be an integer between 1 and 10000, inclusive.")
        }
        let part = try await objects.uploadPart(
            uploadId: uploadId, bucket: bucket, key: key, number: number, length: auth.decodedContentLength,
            accountId: auth.principal.accountId, body: auth.body
        )
        var headers = HTTPFields()
        headers[.eTag] = "\"\(part.etag)\""
        auth.echoChecksums(into: &headers)
        return Response(status: .ok, headers: headers)
    }

    private func completeUpload(
        _ bucket: String, _ key: String, uploadId: String, _ request: Request, _ auth: AuthenticatedRequest
    ) async throws -> Response {
        let account = auth.principal.accountId
        _ = try await objects.upload(uploadId, bucket: bucket, key: key, accountId: account)
        let document = try Self.parseXML(try await auth.collectBody(limit: 4 << 20))
        guard document.name == "CompleteMultipartUpload" else { throw Self.malformedXML }
        var parts: [(number: Int, etag: String)] = []
        for part in document.all("Part") {
            guard let number = part.child("PartNumber").flatMap({ Int($0.text.trimmingCharacters(in: .whitespaces)) }),
                let etag = part.child("ETag")?.text
            else { throw Self.malformedXML }
            parts.append((number, etag))
        }
        let record = try await objects.completeUpload(uploadId: uploadId, bucket: bucket, key: key, parts: parts, accountId: account)
        var xml = XMLWriter()
        xml.open("CompleteMultipartUploadResult", namespace: true)
        xml.element("Location", "/\(bucket)/\(key)")
        xml.element("Bucket", bucket)
        xml.element("Key", key)
        xml.element("ETag", "\"\(record.etag)\"")
        xml.close("CompleteMultipartUploadResult")
        return Self.xml(xml)
    }

    private func listParts(_ bucket: String, _ key: String, uploadId: String, _ s3: S3Request, account: String) async throws -> Response {
        let maxParts = try s3.int("max-parts", default: 1000, range: 0...1000)
        let marker = try s3.int("part-number-marker", default: 0, range: 0...10_000)
        let parts = try await objects.parts(
            uploadId: uploadId, bucket: bucket, key: key, after: marker, limit: maxParts + 1, accountId: account
        )
        let shown = parts.prefix(maxParts)
        var xml = XMLWriter()
        xml.open("ListPartsResult", namespace: true)
        xml.element("Bucket", bucket)
        xml.element("Key", key)
        xml.element("UploadId", uploadId)
        xml.element("PartNumberMarker", String(marker))
        if let last = shown.last { xml.element("NextPartNumberMarker", String(last.number)) }
        xml.element("MaxParts", String(maxParts))
        xml.element("IsTruncated", parts.count > maxParts ? "true" : "false")
        xml.element("StorageClass", "STANDARD")
        for part in shown {
            xml.element("Part") {
                $0.element("PartNumber", String(part.number))
                $0.element("LastModified", S3Dates.iso8601(part.lastModified))
                $0.element("ETag", "\"\(part.etag)\"")
                $0.element("Size", String(part.blob.size))
            }
        }
        xml.close("ListPartsResult")
        return Self.xml(xml)
    }

    private func listUploads(_ bucket: String, _ s3: S3Request, account: String) async throws -> Response {
        let maxUploads = try s3.int("max-uploads", default: 1000, range: 0...1000)
        let prefix = s3.query["prefix"] ?? ""
        let uploads = try await objects.uploads(bucket: bucket, prefix: prefix, limit: maxUploads + 1, accountId: account)
        var xml = XMLWriter()
        xml.open("ListMultipartUploadsResult", namespace: true)
        xml.element("Bucket", bucket)
        xml.element("KeyMarker", "")
        xml.element("UploadIdMarker", "")
        xml.element("Prefix", prefix)
        xml.element("MaxUploads", String(maxUploads))
        xml.element("IsTruncated", uploads.count > maxUploads ? "true" : "false")
        for upload in uploads.prefix(maxUploads) {
            xml.element("Upload") {
                $0.element("Key", upload.key)
                $0.element("UploadId", upload.id)
                $0.element("Initiated", S3Dates.iso8601(upload.initiated))
                $0.element("StorageClass", "STANDARD")
            }
        }
        xml.close("ListMultipartUploadsResult")
        return Self.xml(xml)
    }

    // MARK: Helpers

    static let malformedXML = OspreyError(
        .malformedXML, "The XML you provided was not well-formed or did not validate against our published schema."
    )

    static func parseXML(_ body: [UInt8]) throws -> XMLElement {
        do { return try XMLReader.parse(body) } catch { throw malformedXML }
    }

    static func userMetadata(_ headers: HTTPFields) -> [String: String] {
        var metadata: [String: String] = [:]
        for field in headers {
            let name = field.name.canonicalName
            if name.hasPrefix("x-amz-meta-") { metadata[String(name.dropFirst("x-amz-meta-".count))] = field.value }
        }
        return metadata
    }

    static func xml(_ writer: XMLWriter) -> Response { xml(writer.text) }

    static func xml(_ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func methodNotAllowed(_ request: Request) -> OspreyError {
        OspreyError(.methodNotAllowed, "The specified method is not allowed against this resource: \(request.method) \(request.uri.path)")
    }
}
