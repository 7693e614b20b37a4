import Foundation
import OspreyCore
import OspreySigV4
import Testing

/// Credentials and time of AWS's SigV4 test suite.
enum Suite {
    static let accessKeyId = "AKIDEXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let timestamp = "20150830T123600Z"
    static let date = AmzDate.parseTimestamp(timestamp)!
    static let scope = CredentialScope(date: "20150830", region: "us-east-1", service: "service")
}

/// Credentials and time of the examples in the Amazon S3 API reference.
enum S3Docs {
    static let accessKeyId = "AKIAIOSFODNN7EXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let timestamp = "20130524T000000Z"
    static let date = AmzDate.parseTimestamp(timestamp)!
    static let scope = CredentialScope(date: "20130524", region: "us-east-1", service: "s3")
}

/// A verifier that knows the test suite's key and the S3 examples' key.
func makeVerifier(maxSkew: TimeInterval = 900) -> SigV4Verifier {
    SigV4Verifier(maxSkew: maxSkew) { accessKeyId in
        switch accessKeyId {
        case Suite.accessKeyId: return Suite.secret
        case S3Docs.accessKeyId: return S3Docs.secret
        default: return nil
        }
    }
}

/// Runs `body` and expects it to throw an `OspreyError` with `code`; returns that error.
@discardableResult
func expectError(
    _ code: OspreyError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> OspreyError? {
    do {
        try await body()
        Issue.record("expected \(code), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as OspreyError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The same for synchronous code.
@discardableResult
func expectErrorSync(
    _ code: OspreyError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> OspreyError? {
    do {
        try body()
        Issue.record("expected \(code), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as OspreyError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Splits a URL made by `SigV4Signer.presign` into path and query.
func pathAndQuery(of url: String) -> (path: String, query: String?) {
    let afterScheme = url.range(of: "://").map { url[$0.upperBound...] } ?? url[...]
    let pathStart = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
    let target = afterScheme[pathStart...]
    guard let question = target.firstIndex(of: "?") else { return (String(target), nil) }
    return (String(target[..<question]), String(target[target.index(after: question)...]))
}
