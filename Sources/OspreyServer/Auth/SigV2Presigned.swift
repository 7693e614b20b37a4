import Crypto
import Foundation
import OspreyCore
import OspreySigV4

/// S3's legacy query-string authentication (`AWSAccessKeyId`, `Expires`, `Signature`): boto3's `generate_presigned_url`
/// still makes these unless the client is configured for `s3v4`.
enum SigV2Presigned {
    /// Sub-resources that take part in the signed resource, as botocore's `HmacV1QueryAuth` lists them.
    static let signedSubresources: Set<String> = [
        "accelerate", "acl", "cors", "defaultObjectAcl", "location", "logging", "partNumber", "policy", "requestPayment", "torrent",
        "versioning", "versionId", "versions", "website", "uploads", "uploadId", "response-content-type", "response-content-language",
        "response-expires", "response-cache-control", "response-content-disposition", "response-content-encoding", "delete",
        "lifecycle", "tagging", "restore", "storageClass", "notification", "replication", "analytics", "metrics", "inventory",
        "select", "select-type", "object-lock",
    ]

    /// The access key id when the query carries SigV2 credentials, else nil.
    static func accessKeyId(inQuery query: [String: String]) -> String? {
        guard query["Signature"] != nil, query["Expires"] != nil else { return nil }
        return query["AWSAccessKeyId"]
    }

    /// Checks the signature and expiry. Throws `.accessDenied` when expired, `.signatureDoesNotMatch` when wrong.
    static func verify(method: String, rawPath: String, query: [String: String], contentMD5: String?, contentType: String?,
                       secret: String, now: Date) throws {
        guard let expiresText = query["Expires"], let expires = TimeInterval(expiresText), let signature = query["Signature"] else {
            throw OspreyError(.accessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
        }
        guard now.timeIntervalSince1970 <= expires else { throw OspreyError(.accessDenied, "Request has expired") }
        let subresources = query.filter { signedSubresources.contains($0.key) }.sorted { $0.key < $1.key }
            .map { $0.value.isEmpty ? $0.key : "\($0.key)=\($0.value)" }
        let resource = rawPath + (subresources.isEmpty ? "" : "?" + subresources.joined(separator: "&"))
        let stringToSign = [method, contentMD5 ?? "", contentType ?? "", expiresText, resource].joined(separator: "\n")
        let expected = Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: Data(secret.utf8))))
            .base64EncodedString()
        guard ConstantTime.equals(Array(expected.utf8), Array(signature.utf8)) else {
            throw OspreyError(
                .signatureDoesNotMatch,
                "The request signature we calculated does not match the signature you provided. Check your key and signing method."
            )
        }
    }
}
