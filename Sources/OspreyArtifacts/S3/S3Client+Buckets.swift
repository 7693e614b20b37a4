import OspreyCore

extension S3Client {
    /// The names of every bucket the credentials own.
    public func listBuckets() async throws -> [String] {
        let answer = try await perform(S3Call("GET"))
        return S3XML(answer.body).elements("Bucket").compactMap { $0.text("Name") }
    }

    /// Creates `bucket` in the client's region. Throws `BucketAlreadyOwnedByYou` / `BucketAlreadyExists` when it exists.
    public func createBucket(_ bucket: String) async throws {
        var body: [UInt8]?
        if region != "us-east-1" {
            body = Array(
                (#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
                    + "<LocationConstraint>\(region)</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        _ = try await perform(S3Call("PUT", bucket: bucket), body: body)
    }

    /// Deletes the empty `bucket`. Throws `BucketNotEmpty` when it holds objects, `NoSuchBucket` when it does not exist.
    public func deleteBucket(_ bucket: String) async throws {
        _ = try await perform(S3Call("DELETE", bucket: bucket))
    }

    /// Whether `bucket` exists and the credentials may use it; false on 404, other refusals (403, …) throw.
    public func headBucket(_ bucket: String) async throws -> Bool {
        let call = S3Call("HEAD", bucket: bucket)
        let response = try await send(call)
        _ = try await collect(response.body)
        let status = Int(response.status.code)
        if status == 404 { return false }
        guard (200..<300).contains(status) else {
            throw S3ErrorResponse.error(status: status, body: [], method: call.method, path: call.rawPath)
        }
        return true
    }
}
