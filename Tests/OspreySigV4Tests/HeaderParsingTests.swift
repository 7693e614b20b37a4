import OspreyCore
import Testing

@testable import OspreySigV4

/// The byte-wise fast paths of header parsing give what the character-wise forms give.
@Suite struct HeaderParsingTests {
    static let samples = [
        "", " ", "\t\r\n", "a", " a ", "\tAWS4 x, y\r\n", "a,,b,", ",a", "x/y//z/", "é, ü ", " \u{301}a,\u{301}b ", "a\r\n", "k;K;k",
    ]

    @Test func trimmingMatchesCharacterTrimming() {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        for sample in Self.samples {
            let expected: String
            if let first = sample.firstIndex(where: { !isSpace($0) }), let last = sample.lastIndex(where: { !isSpace($0) }) {
                expected = String(sample[first...last])
            } else {
                expected = ""
            }
            #expect(sample.trimmingASCIIWhitespace() == expected, "\(sample.debugDescription)")
        }
    }

    @Test func splittingMatchesSplit() {
        for sample in Self.samples {
            for separator in [",", "/", ";"] {
                for omitting in [true, false] {
                    let expected = sample.split(separator: Character(separator), omittingEmptySubsequences: omitting)
                    let actual = sample.splitting(UInt8(ascii: Unicode.Scalar(separator)!), omittingEmpty: omitting)
                    #expect(actual == expected, "\(sample.debugDescription) \(separator) \(omitting)")
                }
            }
        }
    }

    @Test func authorizationWithLooseSpacing() throws {
        let claim = try SignatureClaim.parseAuthorization(
            " AWS4-HMAC-SHA256\tCredential=AKID/20250102/us-east-1/s3/aws4_request ,SignedHeaders=Host;X-Amz-Date,  Signature=abc \r\n"
        )
        #expect(claim.accessKeyId == "AKID")
        #expect(claim.scope == CredentialScope(date: "20250102", region: "us-east-1", service: "s3"))
        #expect(claim.signedHeaders == ["host", "x-amz-date"])
        #expect(claim.signature == "abc")
    }

    /// The parser before its byte-wise fast path, as the reference: the fields, or the error's message.
    static func reference(_ value: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        func trim(_ text: some StringProtocol) -> String {
            guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
            return String(text[first...last])
        }
        let trimmed = trim(value)
        guard trimmed.hasPrefix("AWS4-HMAC-SHA256 ") || trimmed.hasPrefix("AWS4-HMAC-SHA256\t") else { return "scheme" }
        var fields: [String: String] = [:]
        for component in trimmed.dropFirst(16).split(separator: ",") {
            let part = trim(component)
            guard let equals = part.firstIndex(of: "=") else { return "Authorization header requires 'key=value' components, got \"\(part)\"." }
            fields[String(part[..<equals])] = String(part[part.index(after: equals)...])
        }
        let missing = ["Credential", "SignedHeaders", "Signature"].filter { fields[$0] == nil }
        guard missing.isEmpty else { return missing.map { "Authorization header requires '\($0)' parameter." }.joined(separator: " ") }
        return [fields["Credential"]!, fields["SignedHeaders"]!, fields["Signature"]!].joined(separator: "|")
    }

    @Test func authorizationParsesAsBefore() {
        let credential = "Credential=AKID/20250102/us-east-1/s3/aws4_request"
        let values = [
            "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host;x-amz-date, Signature=abc",
            "  AWS4-HMAC-SHA256\t\(credential),SignedHeaders=host,Signature=abc,  ",
            "AWS4-HMAC-SHA256 \(credential),, SignedHeaders=host, Signature=a=b, Extra=1, Signature=def",
            "AWS4-HMAC-SHA256 \(credential), , SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, Signature",
            "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host",
            "AWS4-HMAC-SHA256 Signature=x",
            "AWS4-HMAC-SHA256 \(credential), SignedHeaders=host, Signature=abc\u{301}",
            "AWS4-HMAC-SHA256 \(credential),\u{301} SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256x \(credential), SignedHeaders=host, Signature=abc",
            "AWS4-HMAC-SHA256 =, \(credential), SignedHeaders=host, Signature=",
        ]
        for value in values {
            let expected = Self.reference(value)
            let actual: String
            do {
                let claim = try SignatureClaim.parseAuthorization(value)
                actual = [claim.accessKeyId + "/" + claim.scope.description, claim.signedHeaders.joined(separator: ";"), claim.signature]
                    .joined(separator: "|")
            } catch let error as OspreyError {
                actual = error.message.hasPrefix("Unsupported Authorization Type") ? "scheme" : error.message
            } catch {
                actual = "\(error)"
            }
            #expect(actual == expected, "\(value.debugDescription)")
        }
    }

    @Test func aSigningKeySignsIndependently() {
        let scope = CredentialScope(date: "20250102", region: "us-east-1", service: "s3")
        let key = SigningKey(secret: "secret", scope: scope)
        let first = key.signature(for: "a")
        #expect(key.signature(for: "b") == SigningKey(secret: "secret", scope: scope).signature(for: "b"))
        #expect(key.signature(for: "a") == first)
        #expect(first != key.signature(for: "b"))
    }

    @Test func caseInsensitivePrefix() {
        #expect("X-Amz-Date".hasASCIICaseInsensitivePrefix("x-amz-"))
        #expect("x-amz-".hasASCIICaseInsensitivePrefix("x-amz-"))
        #expect(!"x-amz".hasASCIICaseInsensitivePrefix("x-amz-"))
        #expect(!"Content-Type".hasASCIICaseInsensitivePrefix("x-amz-"))
    }
}
