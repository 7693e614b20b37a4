import Foundation
import OspreyCore
import OspreySigV4
import Testing

/// AWS's SigV4 test suite: every intermediate of signing, and verification of the signed request.
struct SuiteTests {
    private func signedHeaderNames(_ vector: SuiteVector) -> [String] {
        Array(Set(vector.signedRequestHeaders.map { $0.name.lowercased() })).sorted()
    }

    @Test(arguments: SuiteVector.all)
    func canonicalRequestStringToSignAndSignature(_ vector: SuiteVector) {
        let canonical = CanonicalRequest(
            method: vector.method, rawPath: vector.path, rawQuery: vector.query, uriMode: vector.mode,
            headers: vector.signedRequestHeaders, signedHeaders: signedHeaderNames(vector), payloadHash: SHA256Hex.of(vector.body))
        #expect(canonical.text == vector.canonicalRequest)
        let stringToSign = StringToSign.request(timestamp: Suite.timestamp, scope: Suite.scope, canonicalRequestHash: canonical.hash)
        #expect(stringToSign == vector.stringToSign)
        #expect(SigningKey(secret: Suite.secret, scope: Suite.scope).signature(for: stringToSign) == vector.signature)
    }

    @Test(arguments: SuiteVector.all)
    func verifierAcceptsTheSignedRequest(_ vector: SuiteVector) async throws {
        let request = SigV4Request(
            method: vector.method, rawPath: vector.path, rawQuery: vector.query,
            headers: vector.signedRequestHeaders + [("Authorization", vector.authorization)])
        let verified = try await makeVerifier().verify(request, service: "service", uriMode: vector.mode, now: Suite.date)
        #expect(verified.accessKeyId == Suite.accessKeyId)
        #expect(verified.scope == Suite.scope)
        #expect(verified.timestamp == Suite.timestamp)
        let bodyHash = SHA256Hex.of(vector.body)
        if vector.signedRequestHeaders.contains(where: { $0.name.lowercased() == "x-amz-content-sha256" }) {
            #expect(verified.payload == .sha256(bodyHash))
            #expect(verified.isSignatureChecked)
        } else {
            #expect(verified.payload == .bodyHashRequired)
            #expect(!verified.isSignatureChecked)
            expectErrorSync(.signatureDoesNotMatch) { try verified.checkBody(sha256Hex: SHA256Hex.of("something else")) }
        }
        #expect(verified.needsBodyHash)
        try verified.checkBody(sha256Hex: bodyHash)
    }

    @Test func theOtherURIModeDoesNotVerify() async {
        // get-space is `/example%20space/` as sent: S3 signs it as is, other services encode it again.
        let vector = SuiteVector.all.first { $0.name == "get-space-unnormalized" }!
        let request = SigV4Request(
            method: vector.method, rawPath: vector.path, rawQuery: nil,
            headers: vector.signedRequestHeaders + [("Authorization", vector.authorization)])
        #expect(CanonicalURI.make(rawPath: vector.path, mode: .standard) == "/example%2520space/")
        await expectError(.signatureDoesNotMatch) {
            let verified = try await makeVerifier().verify(request, service: "service", uriMode: .standard, now: Suite.date)
            try verified.checkBody(sha256Hex: SHA256Hex.empty)
        }
    }

    @Test func presignedCanonicalRequestOfTheSuite() {
        // get-header-key-duplicate, query variant (the suite hashes the empty body instead of UNSIGNED-PAYLOAD).
        let query =
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
            + "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host%3Bmy-header1&X-Amz-Expires=3600"
            + "&X-Amz-Signature=3349ee0b81b4b589da0ff28a395c3591e04de515651dd74f298fa992d1507a97"
        let headers = [("Host", "example.amazonaws.com"), ("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")]
        let canonical = CanonicalRequest(
            method: "GET", rawPath: "/", rawQuery: query, uriMode: .standard, headers: headers,
            signedHeaders: ["host", "my-header1"], payloadHash: SHA256Hex.empty, excludingQueryParameter: "X-Amz-Signature")
        #expect(
            canonical.text == """
                GET
                /
                X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request\
                &X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1
                host:example.amazonaws.com
                my-header1:value2,value2,value1

                host;my-header1
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        let stringToSign = StringToSign.request(timestamp: Suite.timestamp, scope: Suite.scope, canonicalRequestHash: canonical.hash)
        #expect(
            SigningKey(secret: Suite.secret, scope: Suite.scope).signature(for: stringToSign)
                == "3349ee0b81b4b589da0ff28a395c3591e04de515651dd74f298fa992d1507a97")
    }

    @Test func signerReproducesPostFormURLEncoded() {
        // post-x-www-form-urlencoded signs its body hash as x-amz-content-sha256, as SigV4Signer always does.
        let vector = SuiteVector.all.first { $0.name == "post-x-www-form-urlencoded" }!
        let signer = SigV4Signer(accessKeyId: Suite.accessKeyId, secretAccessKey: Suite.secret, region: "us-east-1", service: "service")
        let added = signer.sign(
            method: "POST", scheme: "https", host: "example.amazonaws.com", rawPath: "/", rawQuery: nil,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13")],
            payloadSHA256Hex: SHA256Hex.of(vector.body), date: Suite.date)
        #expect(added.first { $0.name == "Authorization" }?.value == vector.authorization)
        #expect(added.first { $0.name == "X-Amz-Date" }?.value == Suite.timestamp)
        #expect(added.first { $0.name == "x-amz-content-sha256" }?.value == SHA256Hex.of(vector.body))
    }
}
