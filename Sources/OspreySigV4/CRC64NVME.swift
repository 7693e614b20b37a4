/// CRC-64/NVME (as `x-amz-checksum-crc64nvme`), slicing-by-8.
public struct CRC64NVME: Sendable {
    private static let table: [UInt64] = {
        let polynomial: UInt64 = 0x9A6C_9329_AC4B_C9B5
        var table = [UInt64](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt64(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    private var state: UInt64 = ~0

    public init() {}

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        state = Self.table.withUnsafeBufferPointer { t in
            var crc = state
            var offset = 0
            let count = bytes.count
            while count - offset >= 8 {
                crc ^= UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                crc =
                    t[7 * 256 + Int(crc & 0xFF)] ^ t[6 * 256 + Int((crc >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((crc >> 16) & 0xFF)] ^ t[4 * 256 + Int((crc >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((crc >> 32) & 0xFF)] ^ t[2 * 256 + Int((crc >> 40) & 0xFF)]
                    ^ t[256 + Int((crc >> 48) & 0xFF)] ^ t[Int(crc >> 56)]
                offset += 8
            }
            while offset < count {
                crc = t[Int((crc ^ UInt64(bytes[offset])) & 0xFF)] ^ (crc >> 8)
                offset += 1
            }
            return crc
        }
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The checksum of the bytes so far.
    public var value: UInt64 { ~state }
    /// The base64 of the big-endian checksum, the form of the `x-amz-checksum-crc64nvme` header.
    public var base64: String { checksumBase64(value) }
}
