import AsyncHTTPClient
import Foundation
import NIOCore
import OspreyCore
import OspreySigV4

/// A small S3 client: path-style URLs, SigV4-signed requests over one shared `HTTPClient`, streamed bodies both ways.
///
/// Works against Osprey's own S3 API and any S3-compatible store. Failures are `OspreyError`s: an S3 `<Error>` answer keeps
/// its `<Code>` and `<Message>` (`NoSuchKey`, `NoSuchBucket`, …), and a transport failure is `.unavailable`
/// ("Cannot reach <endpoint>: …"). An invalid `endpoint` is reported by the first call, as `.validation`.
public struct S3Client: Sendable {
    /// The endpoint as given, `http(s)://host[:port]`.
    public let endpoint: String
    /// The region requests are signed for.
    public let region: String
    let target: Result<S3Endpoint, OspreyError>
    let signer: SigV4Signer
    let httpClient: HTTPClient

    /// A client for the S3 service at `endpoint` (`http(s)://host[:port]`), signing as `accessKeyId` in `region`.
    ///
    /// Pass `sessionToken` for temporary credentials. The client keeps no connections of its own: `httpClient` (by default
    /// the process-wide `HTTPClient.shared`) pools them, so make clients freely but do not make `HTTPClient`s per call.
    public init(
        endpoint: String, region: String, accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil,
        httpClient: HTTPClient = .shared
    ) {
        self.endpoint = endpoint
        self.region = region
        self.target = Result { try S3Endpoint(endpoint) }.mapError { $0 as? OspreyError ?? OspreyError(.validation, "\($0)") }
        self.signer = SigV4Signer(
            accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, region: region, service: "s3", sessionToken: sessionToken
        )
        self.httpClient = httpClient
    }
}

/// One S3 request before it is signed and sent.
struct S3Call: Sendable {
    var method: String
    var bucket: String?
    var key: String?
    /// Decoded query parameters; encoded when the request is built.
    var query: [(name: String, value: String)] = []
    /// Headers to send and sign (besides `Host` and the SigV4 ones).
    var headers: [(name: String, value: String)] = []
    /// The body's hex SHA-256, or `UNSIGNED-PAYLOAD` for streamed bodies.
    var payloadHash = SHA256Hex.empty

    init(_ method: String, bucket: String? = nil, key: String? = nil) {
        self.method = method
        self.bucket = bucket
        self.key = key
    }

    /// The path as sent: `/bucket/key`, every byte of the key but unreserved ones and `/` percent-encoded.
    var rawPath: String {
        guard let bucket else { return "/" }
        let path = "/" + URIEncoding.encode(bucket)
        guard let key else { return path }
        return path + "/" + URIEncoding.encode(key, keepSlash: true)
    }

    var rawQuery: String? {
        guard !query.isEmpty else { return nil }
        return query.map { URIEncoding.encode($0.name) + "=" + URIEncoding.encode($0.value) }.joined(separator: "&")
    }

    /// `GET /bucket/key`, for messages.
    var summary: String { "\(method) \(rawPath)" }
}

/// An answer whose body was read whole (small XML answers only).
struct S3Answer: Sendable {
    var response: HTTPClientResponse
    var body: [UInt8]

    func header(_ name: String) -> String? { response.headers.first(name: name) }
}
