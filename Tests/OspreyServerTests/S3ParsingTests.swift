import Foundation
import OspreyCore
import Testing

@testable import OspreyServer

@Suite struct S3ParsingTests {
    @Test func xmlReaderReadsWhatClientsSend() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Part><ETag>&quot;abc&quot;</ETag><PartNumber>1</PartNumber></Part>
              <!-- a comment -->
              <Part><ETag><![CDATA["def"]]></ETag><PartNumber>2</PartNumber></Part>
            </CompleteMultipartUpload>
            """
        let root = try XMLReader.parse(Array(text.utf8))
        #expect(root.name == "CompleteMultipartUpload")
        #expect(root.all("Part").map { $0.child("ETag")?.text } == ["\"abc\"", "\"def\""])
        #expect(root.all("Part").map { $0.child("PartNumber")?.text } == ["1", "2"])
        let entities = try XMLReader.parse(Array("<Key>a&amp;b&#x41;&#66;&lt;</Key>".utf8))
        #expect(entities.text == "a&bAB<")
    }

    @Test(arguments: ["", "<a>", "<a></b>", "<a><b></a></b>", "not xml", "<a>x</a><b/>", "<a x=1></a>", "<a>&bogus;</a>"])
    func xmlReaderRefusesMalformedDocuments(_ text: String) {
        #expect(throws: XMLReader.Failure.self) { try XMLReader.parse(Array(text.utf8)) }
    }

    @Test func xmlWriterEscapes() {
        var xml = XMLWriter()
        xml.element("Key", "a<b>&\"c'")
        #expect(xml.text.hasSuffix("<Key>a&lt;b&gt;&amp;&quot;c&apos;</Key>"))
    }

    @Test func rangesResolveAsS3Does() throws {
        #expect(try ByteRange.resolve("bytes=0-9", size: 100) == 0..<10)
        #expect(try ByteRange.resolve("bytes=90-200", size: 100) == 90..<100)
        #expect(try ByteRange.resolve("bytes=-5", size: 100) == 95..<100)
        #expect(try ByteRange.resolve("bytes=-500", size: 100) == 0..<100)
        #expect(try ByteRange.resolve("bytes=10-", size: 100) == 10..<100)
        #expect(try ByteRange.resolve(nil, size: 100) == nil)
        #expect(try ByteRange.resolve("bytes=5-1", size: 100) == nil)
        #expect(try ByteRange.resolve("items=0-1", size: 100) == nil)
        #expect(throws: OspreyError.self) { try ByteRange.resolve("bytes=100-", size: 100) }
        #expect(throws: OspreyError.self) { try ByteRange.resolve("bytes=0-0", size: 0) }
    }

    @Test func queriesDecode() {
        let query = S3Request.parseQuery("list-type=2&prefix=a%2Fb+c&uploads&delimiter=%2F")
        #expect(query == ["list-type": "2", "prefix": "a/b c", "uploads": "", "delimiter": "/"])
    }

    @Test func datesUseS3Forms() {
        let date = Date(timeIntervalSince1970: 1_255_369_830.123)
        #expect(S3Dates.iso8601(date) == "2009-10-12T17:50:30.123Z")
        #expect(S3Dates.rfc1123(date) == "Mon, 12 Oct 2009 17:50:30 GMT")
    }

    @Test func datesMatchPrintfFormatting() {
        // The hand-written forms against the `String(format:)` ones they replace, over a spread of instants.
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        for seconds in stride(from: -2_000_000_000.0, through: 4_000_000_000.0, by: 7_777_777.321) + [0, 0.999, 946_684_799.5] {
            let date = Date(timeIntervalSince1970: seconds)
            var time = time_t(date.timeIntervalSince1970.rounded(.down))
            var parts = tm()
            gmtime_r(&time, &parts)
            let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
            let iso = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                parts.tm_min, parts.tm_sec, millis
            )
            let rfc = String(
                format: "%@, %02d %@ %04d %02d:%02d:%02d GMT", days[Int(parts.tm_wday)], parts.tm_mday, months[Int(parts.tm_mon)],
                parts.tm_year + 1900, parts.tm_hour, parts.tm_min, parts.tm_sec
            )
            #expect(S3Dates.iso8601(date) == iso)
            #expect(S3Dates.rfc1123(date) == rfc)
        }
    }

    @Test func pathSegmentsDecode() throws {
        #expect(try S3Request.decode("plain-key.txt") == "plain-key.txt")
        #expect(try S3Request.decode("a%20b%2Fc") == "a b/c")
        #expect(try S3Request.decode("caf%C3%A9") == "café")
        #expect(throws: OspreyError.self) { try S3Request.decode("bad%FF") }
    }

    @Test func urlEncodingKeepsSlashes() {
        #expect(s3URLEncode("a b/c+d~é") == "a%20b/c%2Bd~%C3%A9")
    }

    @Test func sigV2PresignedURLsVerify() throws {
        // From botocore's HmacV1QueryAuth: GET\n\n\n{expires}\n{path}, HMAC-SHA1, base64.
        let secret = "secretsecretsecretsecretsecret1234567890"
        let expires = "1795701237"
        let stringToSign = "GET\n\n\n\(expires)\n/bkt2/k"
        let signature = hmacSHA1Base64(secret: secret, stringToSign)
        let query = ["AWSAccessKeyId": "AKID", "Expires": expires, "Signature": signature]
        #expect(SigV2Presigned.accessKeyId(inQuery: query) == "AKID")
        try SigV2Presigned.verify(
            method: "GET", rawPath: "/bkt2/k", query: query, contentMD5: nil, contentType: nil, secret: secret,
            now: Date(timeIntervalSince1970: 1_795_701_000)
        )
        #expect(throws: OspreyError.self) {
            try SigV2Presigned.verify(
                method: "GET", rawPath: "/bkt2/other", query: query, contentMD5: nil, contentType: nil, secret: secret,
                now: Date(timeIntervalSince1970: 1_795_701_000)
            )
        }
        do {
            try SigV2Presigned.verify(
                method: "GET", rawPath: "/bkt2/k", query: query, contentMD5: nil, contentType: nil, secret: secret,
                now: Date(timeIntervalSince1970: 1_795_701_238)
            )
            Issue.record("an expired URL was accepted")
        } catch let error as OspreyError {
            #expect(error.code == .accessDenied)
            #expect(error.message == "Request has expired")
        }
    }
}

import Crypto

func hmacSHA1Base64(secret: String, _ text: String) -> String {
    Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: Data(secret.utf8)))).base64EncodedString()
}
