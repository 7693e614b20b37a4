import Foundation
import OspreySigV4
import Testing

/// Checksums, hex, URI encoding and dates.
struct PrimitivesTests {
    @Test func crcCheckValues() {
        let check = Array("123456789".utf8)
        var crc32 = CRC32()
        crc32.update(check)
        #expect(crc32.value == 0xCBF4_3926)
        var crc32c = CRC32C()
        crc32c.update(check)
        #expect(crc32c.value == 0xE306_9283)
        var crc64 = CRC64NVME()
        crc64.update(check)
        #expect(crc64.value == 0xAE8B_1486_0A79_9888)
        #expect(CRC32().value == 0)
        #expect(CRC32().base64 == "AAAAAA==")
    }

    @Test func crcSlicingMatchesBitwiseForAnySplit() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        func bitwise(_ polynomial: UInt32) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in data {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            }
            return ~crc
        }
        for split in [0, 1, 3, 8, 13, 500, 999, 1000] {
            var crc32 = CRC32()
            var crc32c = CRC32C()
            crc32.update(Array(data[..<split]))
            crc32.update(Array(data[split...]))
            crc32c.update(Array(data[..<split]))
            crc32c.update(Array(data[split...]))
            #expect(crc32.value == bitwise(0xEDB8_8320))
            #expect(crc32c.value == bitwise(0x82F6_3B78))
        }
    }

    @Test func payloadChecksums() {
        let bytes = Array("hello world".utf8)
        var results: [PayloadChecksum.Algorithm: String] = [:]
        for algorithm in PayloadChecksum.Algorithm.allCases {
            var checksum = PayloadChecksum(algorithm)
            bytes.withUnsafeBytes { checksum.update($0) }
            results[algorithm] = checksum.base64
        }
        #expect(results[.crc32] == "DUoRhQ==")
        #expect(results[.crc32c] == "yZRlqg==")
        #expect(results[.sha1] == "Kq5sNclPz7QV2+lfQIuc6R7oRu0=")
        #expect(results[.sha256] == "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
        #expect(PayloadChecksum.Algorithm(headerName: "X-Amz-Checksum-CRC32C") == .crc32c)
        #expect(PayloadChecksum.Algorithm(name: "crc64nvme")?.headerName == "x-amz-checksum-crc64nvme")
        #expect(PayloadChecksum.Algorithm(headerName: "x-amz-checksum-md5") == nil)
    }

    @Test func hexAndSHA256() {
        #expect(Hex.encode([0x00, 0x7F, 0xAB, 0xFF]) == "007fabff")
        #expect(Hex.decode("007FabfF") == [0x00, 0x7F, 0xAB, 0xFF])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(SHA256Hex.of("") == SHA256Hex.empty)
        #expect(SHA256Hex.of("hello") == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    }

    @Test func uriEncoding() {
        #expect(URIEncoding.encode("a b/c~d_e.f-g+h=ü") == "a%20b%2Fc~d_e.f-g%2Bh%3D%C3%BC")
        #expect(URIEncoding.encode("dir/a b", keepSlash: true) == "dir/a%20b")
        #expect(URIEncoding.decode("a%20b%2fc+d%zz%") == "a b/c+d%zz%")
        #expect(CanonicalQuery.make(rawQuery: "b=2&a=2&a=1&c&&d=%7e%2F") == "a=1&a=2&b=2&c=&d=~%2F")
        #expect(CanonicalQuery.make(rawQuery: "X-Amz-Signature=abc&x=1", excluding: "X-Amz-Signature") == "x=1")
        #expect(CanonicalQuery.make(rawQuery: nil) == "")
        #expect(CanonicalHeaders.value("  a \t b\n   c  ") == "a b c")
    }

    @Test func dates() throws {
        let date = try #require(AmzDate.parseTimestamp("20150830T123600Z"))
        #expect(date.timeIntervalSince1970 == 1_440_938_160)
        #expect(AmzDate.timestamp(date) == "20150830T123600Z")
        #expect(AmzDate.parseRFC1123("Sun, 30 Aug 2015 12:36:00 GMT") == date)
        #expect(AmzDate.parseRFC1123("30 Aug 2015 12:36:00 GMT") == date)
        #expect(AmzDate.timestamp(Date(timeIntervalSince1970: 951_782_400)) == "20000229T000000Z")
        #expect(AmzDate.timestamp(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        for bad in ["20150830T123600", "20150230T123600Z", "20151301T000000Z", "2015083OT123600Z", "20150830T246000Z"] {
            #expect(AmzDate.parseTimestamp(bad) == nil, "\(bad)")
        }
        #expect(AmzDate.parseRFC1123("Sun, 30 Foo 2015 12:36:00 GMT") == nil)
    }
}
