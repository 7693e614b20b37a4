import CZlib
import Foundation

/// Slicing-by-8 tables for a reflected 32-bit CRC polynomial.
struct CRC32Tables: Sendable {
    let entries: [UInt32]

    init(reflectedPolynomial polynomial: UInt32) {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        entries = table
    }

    /// `crc` (pre-inverted state) advanced over `bytes`, eight bytes a step.
    func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        entries.withUnsafeBufferPointer { t in
            var crc = crc
            var offset = 0
            let count = bytes.count
            while count - offset >= 8 {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let low = UInt32(truncatingIfNeeded: word) ^ crc
                let high = UInt32(truncatingIfNeeded: word >> 32)
                crc =
                    t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = t[Int((crc ^ UInt32(bytes[offset])) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
            return crc
        }
    }

    static let crc32c = CRC32Tables(reflectedPolynomial: 0x82F6_3B78)
}

/// The base64 of a checksum's big-endian bytes, as `x-amz-checksum-*` headers carry it.
func checksumBase64<T: FixedWidthInteger>(_ value: T) -> String {
    withUnsafeBytes(of: value.bigEndian) { Data($0).base64EncodedString() }
}

/// CRC-32 (ISO-HDLC, as zlib and `x-amz-checksum-crc32`), computed by zlib.
public struct CRC32: Sendable {
    private var state: UInt = 0

    public init() {}

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        state = crc32_z(state, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The checksum of the bytes so far.
    public var value: UInt32 { UInt32(truncatingIfNeeded: state) }
    /// The base64 of the big-endian checksum, the form of the `x-amz-checksum-crc32` header.
    public var base64: String { checksumBase64(value) }
}

/// CRC-32C (Castagnoli, as `x-amz-checksum-crc32c`), slicing-by-8.
public struct CRC32C: Sendable {
    private var state: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        state = CRC32Tables.crc32c.update(state, bytes)
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The checksum of the bytes so far.
    public var value: UInt32 { ~state }
    /// The base64 of the big-endian checksum, the form of the `x-amz-checksum-crc32c` header.
    public var base64: String { checksumBase64(value) }
}
