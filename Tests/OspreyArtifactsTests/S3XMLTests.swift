import Foundation
import OspreyCore
import Testing

@testable import OspreyArtifacts

@Suite("S3 XML, dates and errors")
struct S3XMLTests {
    @Test func listingPage() {
        let xml = S3XML(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p%2F</Prefix>\
            <KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>YQ==</NextContinuationToken>\
            <Contents><Key>a%20b</Key><LastModified>2024-02-29T23:59:58.500Z</LastModified><ETag>&quot;abc&quot;</ETag>\
            <Size>12</Size><Owner><ID>x</ID></Owner></Contents>
            <Contents>
              <Key>c&amp;d</Key><Size>0</Size><ETag>"e"</ETag>
            </Contents>
            <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes><CommonPrefixes><Prefix/></CommonPrefixes>
            </ListBucketResult>
            """)
        #expect(xml.rootName == "ListBucketResult")
        #expect(xml.text("IsTruncated") == "true")
        #expect(xml.text("NextContinuationToken") == "YQ==")
        #expect(xml.text("Prefix") == "p%2F", "the first Prefix is the top-level one")
        let contents = xml.elements("Contents")
        #expect(contents.count == 2)
        #expect(contents.map { $0.text("Key") } == ["a%20b", "c&d"])
        #expect(contents[0].text("ETag") == "\"abc\"")
        #expect(contents[0].text("Size") == "12")
        #expect(xml.elements("CommonPrefixes").map { $0.text("Prefix") } == ["dir/", ""])
        #expect(xml.text("Missing") == nil)
        #expect(xml.text("Key") == "a%20b")
    }

    @Test func namesArePrefixFree() {
        let xml = S3XML("<R><KeyCount>3</KeyCount><Key >k</Key ><Keys>no</Keys></R>")
        #expect(xml.text("Key") == "k")
        #expect(xml.text("KeyCount") == "3")
        #expect(xml.texts("Keys") == ["no"])
    }

    @Test func entitiesAndCDATA() {
        #expect(S3XML.decodeText(Array("a&lt;b&gt;c&amp;&apos;&quot;&#65;&#x42;&#x1F600;&bogus;&".utf8)[...]) == "a<b>c&'\"AB😀&bogus;&")
        #expect(S3XML.decodeText(Array("x<![CDATA[<&>]]>y".utf8)[...]) == "x<&>y")
        #expect(S3XML.decodeText(Array("ünï".utf8)[...]) == "ünï")
    }

    @Test func errorAnswersKeepCodeAndMessage() {
        let body = Array(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key></Error>
            """.utf8)
        let error = S3ErrorResponse.error(status: 404, body: body, method: "GET", path: "/b/k")
        #expect(error.code == .noSuchKey)
        #expect(error.message == "The specified key does not exist.")
        let bare = S3ErrorResponse.error(status: 403, body: [], method: "HEAD", path: "/b")
        #expect(bare.code == .accessDenied)
        #expect(bare.message.contains("HEAD /b"))
        #expect(S3ErrorResponse.error(status: 502, body: Array("<html>bad gateway</html>".utf8), method: "GET", path: "/").code == .unavailable)
    }

    @Test func dates() throws {
        let iso = try #require(S3DateParser.iso8601("2024-02-29T23:59:58.500Z"))
        #expect(iso.timeIntervalSince1970 == 1_709_251_198.5)
        let http = try #require(S3DateParser.rfc1123("Thu, 29 Feb 2024 23:59:58 GMT"))
        #expect(http.timeIntervalSince1970 == 1_709_251_198)
        #expect(S3DateParser.iso8601("1970-01-01T00:00:00Z")?.timeIntervalSince1970 == 0)
        #expect(S3DateParser.iso8601("yesterday") == nil)
        #expect(S3DateParser.rfc1123("Thu, 29 Foo 2024 23:59:58 GMT") == nil)
    }

    @Test func etagsLoseTheirQuotes() {
        #expect(unquotedETag("\"abc\"") == "abc")
        #expect(unquotedETag("W/\"abc\"") == "abc")
        #expect(unquotedETag("abc") == "abc")
        #expect(unquotedETag("\"") == "\"")
    }

    @Test func pathsEncodeEveryByteButUnreservedAndSlash() {
        var call = S3Call("GET", bucket: "b", key: "dir/a b+c~ü=?#%.txt")
        #expect(call.rawPath == "/b/dir/a%20b%2Bc~%C3%BC%3D%3F%23%25.txt")
        call.query = [(name: "prefix", value: "a b/+"), (name: "list-type", value: "2")]
        #expect(call.rawQuery == "prefix=a%20b%2F%2B&list-type=2")
        #expect(S3Call("GET").rawPath == "/")
        #expect(S3Client.formDecode("a+b%2Bc%20d") == "a b+c d")
    }

    @Test func endpoints() throws {
        let endpoint = try S3Endpoint("HTTP://127.0.0.1:9000/")
        #expect(endpoint.description == "http://127.0.0.1:9000")
        #expect(S3Client.hostHeader(try S3Endpoint("https://s3.example.com:443")) == "s3.example.com")
        #expect(S3Client.hostHeader(try S3Endpoint("http://[::1]:80")) == "[::1]")
        for bad in ["127.0.0.1:9000", "ftp://host", "http://", "http://host/path", "http://user@host"] {
            let error = #expect(throws: OspreyError.self, "\(bad)") { try S3Endpoint(bad) }
            #expect(error?.code == .validation)
        }
    }
}
