import Crypto
import Foundation

/// A running checksum of one of the algorithms S3 accepts in `x-amz-checksum-*` headers and trailers.
public struct PayloadChecksum: Sendable {
    /// A checksum algorithm, named as in `x-amz-sdk-checksum-algorithm`.
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case crc32 = "CRC32"
        case crc32c = "CRC32C"
        case crc64nvme = "CRC64NVME"
        case sha1 = "SHA1"
        case sha256 = "SHA256"

        /// The header or trailer carrying this checksum, e.g. `x-amz-checksum-crc32`.
        public var headerName: String { "x-amz-checksum-" + rawValue.lowercased() }

        /// The algorithm of a header name such as `x-amz-checksum-crc32` (any case); nil for other names.
        public init?(headerName: String) {
            guard let algorithm = Self.allCases.first(where: { $0.headerName == headerName.lowercased() }) else { return nil }
            self = algorithm
        }

        /// The algorithm of a name such as `CRC32` (any case), as in `x-amz-sdk-checksum-algorithm`.
        public init?(name: String) {
            self.init(rawValue: name.uppercased())
        }
    }

    public let algorithm: Algorithm
    // One of these is set; separate stored properties keep the hashers uniquely referenced while updating in place.
    private var crc32: CRC32?
    private var crc32c: CRC32C?
    private var crc64nvme: CRC64NVME?
    private var sha1: Insecure.SHA1?
    private var sha256: SHA256?

    public init(_ algorithm: Algorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: crc32 = CRC32()
        case .crc32c: crc32c = CRC32C()
        case .crc64nvme: crc64nvme = CRC64NVME()
        case .sha1: sha1 = Insecure.SHA1()
        case .sha256: sha256 = SHA256()
        }
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        crc32?.update(bytes)
        crc32c?.update(bytes)
        crc64nvme?.update(bytes)
        sha1?.update(bufferPointer: bytes)
        sha256?.update(bufferPointer: bytes)
    }

    /// The checksum of the bytes so far, base64 as S3 sends it (big-endian for CRCs, the digest for SHAs).
    public var base64: String {
        if let crc32 { return crc32.base64 }
        if let crc32c { return crc32c.base64 }
        if let crc64nvme { return crc64nvme.base64 }
        if let sha1 { return Data(sha1.finalize()).base64EncodedString() }
        if let sha256 { return Data(sha256.finalize()).base64EncodedString() }
        return ""
    }
}
