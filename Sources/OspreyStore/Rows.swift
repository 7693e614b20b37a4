import Foundation
import OspreyCore
import SQLKit

/// How records become rows and rows become records: times as epoch milliseconds, bytes as blobs, maps and lists as JSON.
extension Date {
    /// Milliseconds since 1970, rounded to the nearest millisecond.
    var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(epochMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(epochMilliseconds) / 1000)
    }
}

/// JSON text columns.
enum JSONColumn {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private static let decoder = JSONDecoder()

    static func encode<T: Encodable>(_ value: T) -> String { encoded(value) }

    private static func encoded<T: Encodable>(_ value: T) -> String {
        // Encoding string maps and arrays of plain structs cannot fail.
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String, column: String) throws -> T {
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw OspreyError(.internalError, "The metadata store holds malformed JSON in column \(column)", cause: error)
        }
    }

    /// A string map, without starting the JSON decoder for the common empty map.
    static func decodeMap(_ text: String, column: String) throws -> [String: String] {
        text == "{}" ? [:] : try decode([String: String].self, from: text, column: column)
    }

    /// A string map; the common empty map without starting the JSON encoder (which writes the same `{}`).
    static func encode(_ map: [String: String]) -> String {
        map.isEmpty ? "{}" : encoded(map)
    }

    /// Blob references, written by hand when every key is plain ASCII, exactly as the JSON encoder writes them
    /// (`[{"key":"…","size":1}]`, sorted keys, no spaces); other keys go through the encoder.
    static func encode(_ blobs: [BlobRef]) -> String {
        var text = "["
        for (index, blob) in blobs.enumerated() {
            guard blob.key.utf8.allSatisfy(isPlain) else { return encoded(blobs) }
            if index > 0 { text += "," }
            text += #"{"key":""# + blob.key + #"","size":"# + String(blob.size) + "}"
        }
        return text + "]"
    }

    /// Blob references; what `encode(_: [BlobRef])` writes by hand is read by hand, anything else by the JSON decoder.
    static func decodeBlobs(_ text: String, column: String) throws -> [BlobRef] {
        if let blobs = parsePlainBlobs(text) { return blobs }
        return try decode([BlobRef].self, from: text, column: column)
    }

    /// Printable ASCII that JSON writes unescaped (`/` too, as the encoder is told not to escape it).
    private static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }

    /// Parses exactly `[{"key":"plain","size":digits},…]`; nil for any other text.
    private static func parsePlainBlobs(_ text: String) -> [BlobRef]? {
        var utf8 = text.utf8[...]
        func take(_ literal: StaticString) -> Bool {
            let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
            guard utf8.starts(with: bytes) else { return false }
            utf8 = utf8.dropFirst(bytes.count)
            return true
        }
        guard take("[") else { return nil }
        var blobs: [BlobRef] = []
        if take("]") { return utf8.isEmpty ? blobs : nil }
        while true {
            guard take(#"{"key":""#) else { return nil }
            guard let quote = utf8.firstIndex(where: { !isPlain($0) }), utf8[quote] == UInt8(ascii: "\"") else { return nil }
            let key = String(Substring(utf8[..<quote]))
            utf8 = utf8[quote...]
            guard take(#"","size":"#) else { return nil }
            let end = utf8.firstIndex { $0 < UInt8(ascii: "0") || $0 > UInt8(ascii: "9") } ?? utf8.endIndex
            let digits = utf8[..<end]
            guard !digits.isEmpty, digits.count <= 18, digits.count == 1 || digits.first != UInt8(ascii: "0") else { return nil }
            utf8 = utf8[end...]
            blobs.append(BlobRef(key: key, size: digits.reduce(0) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }))
            guard take("}") else { return nil }
            if take("]") { return utf8.isEmpty ? blobs : nil }
            guard take(",") else { return nil }
        }
    }
}

extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func bool(_ column: String) throws -> Bool { try decode(column: column, as: Bool.self) }
    func date(_ column: String) throws -> Date { Date(epochMilliseconds: try int64(column)) }
    func bytes(_ column: String) throws -> [UInt8] { [UInt8](try decode(column: column, as: Data.self)) }
    func json<T: Decodable>(_ column: String, as type: T.Type) throws -> T {
        try JSONColumn.decode(type, from: try string(column), column: column)
    }
}

/// Row decoders, one per record; column names match migration 1.
enum Records {
    static func accessKey(_ row: any SQLRow) throws -> StoredAccessKey {
        StoredAccessKey(
            id: try row.string("id"),
            accountId: try row.string("account_id"),
            sealedSecret: try row.bytes("sealed_secret"),
            secretDigest: try row.string("secret_digest"),
            isAdmin: try row.bool("is_admin"),
            description: try row.string("description"),
            createdAt: try row.date("created_at")
        )
    }

    static func bucket(_ row: any SQLRow) throws -> Bucket {
        Bucket(
            name: try row.string("name"),
            accountId: try row.string("account_id"),
            region: try row.string("region"),
            createdAt: try row.date("created_at")
        )
    }

    static func object(_ row: any SQLRow) throws -> ObjectRecord {
        ObjectRecord(
            bucket: try row.string("bucket"),
            key: try row.string("key"),
            size: try row.int64("size"),
            etag: try row.string("etag"),
            contentType: try row.string("content_type"),
            metadata: try JSONColumn.decodeMap(try row.string("metadata"), column: "metadata"),
            lastModified: try row.date("last_modified"),
            blobs: try JSONColumn.decodeBlobs(try row.string("blobs"), column: "blobs")
        )
    }

    static func upload(_ row: any SQLRow) throws -> MultipartUpload {
        MultipartUpload(
            id: try row.string("id"),
            bucket: try row.string("bucket"),
            key: try row.string("key"),
            contentType: try row.string("content_type"),
            metadata: try JSONColumn.decodeMap(try row.string("metadata"), column: "metadata"),
            initiated: try row.date("initiated")
        )
    }

    static func part(_ row: any SQLRow) throws -> UploadedPart {
        UploadedPart(
            uploadId: try row.string("upload_id"),
            number: Int(try row.int64("part_number")),
            etag: try row.string("etag"),
            blob: BlobRef(key: try row.string("blob_key"), size: try row.int64("blob_size")),
            lastModified: try row.date("last_modified")
        )
    }

    static func event(_ row: any SQLRow) throws -> StoredEvent {
        StoredEvent(
            sequence: try row.int64("sequence"),
            event: NewEvent(
                type: try row.string("type"),
                accountId: try row.string("account_id"),
                resource: try row.string("resource"),
                detail: try row.string("detail"),
                time: try row.date("time")
            )
        )
    }

    static func webhook(_ row: any SQLRow) throws -> Webhook {
        Webhook(
            id: try row.string("id"),
            accountId: try row.string("account_id"),
            url: try row.string("url"),
            eventTypes: try row.json("event_types", as: [String].self),
            sealedSecret: try row.bytes("sealed_secret"),
            cursor: try row.int64("cursor"),
            createdAt: try row.date("created_at")
        )
    }
}
