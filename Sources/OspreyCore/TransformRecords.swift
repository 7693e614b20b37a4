import Foundation

/// How batch transform cuts objects into records, packs records into requests and puts answers back together.
/// Pure byte and JSON work, shared by the service and its tests.
public enum TransformRecords {
    /// The form of a record: JSON, or CSV (filtered and joined as an array of its columns).
    public enum Format: Sendable, Hashable {
        case json, csv

        /// From a media type: JSON for `…json…` (JSON Lines too), CSV for `text/csv`; nil when it says neither.
        public init?(mediaType: String?) {
            guard let type = mediaType?.lowercased() else { return nil }
            if type.contains("json") {
                self = .json
            } else if type.contains("csv") {
                self = .csv
            } else {
                return nil
            }
        }

        /// The declared format, else JSON when the record starts like JSON, else CSV.
        public static func of(_ record: ArraySlice<UInt8>, declared: Format?) -> Format {
            if let declared { return declared }
            let first = record.first { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            return first == UInt8(ascii: "{") || first == UInt8(ascii: "[") || first == UInt8(ascii: "\"") ? .json : .csv
        }
    }

    /// The lines of `bytes` (SplitType `Line`): without their `\n` or `\r\n`, empty lines left out.
    public static func lines(_ bytes: [UInt8]) -> [Range<Int>] {
        var records: [Range<Int>] = []
        var start = 0
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index <= buffer.count {
                if index == buffer.count || buffer[index] == UInt8(ascii: "\n") {
                    var end = index
                    if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    if end > start { records.append(start..<end) }
                    start = index + 1
                }
                index += 1
            }
        }
        return records
    }

    /// Packs records of these sizes into requests: one each (`SingleRecord`), or as many consecutive records as fit in
    /// `maxBytes` joined by newlines (`MultiRecord`). Throws `.validation` for a record larger than `maxBytes`.
    public static func batches(sizes: [Int], multiRecord: Bool, maxBytes: Int?) throws -> [Range<Int>] {
        var batches: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (index, size) in sizes.enumerated() {
            if let maxBytes, size > maxBytes {
                throw OspreyError(
                    .validation, "Record \(index + 1) is \(size) bytes, more than MaxPayloadInMB allows (\(maxBytes) bytes).")
            }
            let joined = index == start ? size : bytes + 1 + size
            if index > start, !multiRecord || (maxBytes.map { joined > $0 } ?? false) {
                batches.append(start..<index)
                start = index
                bytes = size
            } else {
                bytes = joined
            }
        }
        if start < sizes.count { batches.append(start..<sizes.count) }
        return batches
    }

    /// Cuts a model's answer to a batch of `count` records into one answer per record: the whole answer for one record;
    /// else a JSON array of `count` elements, or `count` non-empty lines. Nil when it has neither shape.
    public static func perRecord(_ answer: [UInt8], count: Int, format: Format?) -> [[UInt8]]? {
        let trimmed = trimmingNewlines(answer[...])
        if count == 1 { return [Array(trimmed)] }
        if format != .csv, trimmed.first == UInt8(ascii: "["), case .array(let items)? = try? JSONValue.parse(Array(trimmed)),
            items.count == count
        {
            return items.map { Array($0.text.utf8) }
        }
        let lines = Self.lines(Array(trimmed))
        guard lines.count == count else { return nil }
        return lines.map { Array(trimmed[trimmed.startIndex + $0.lowerBound..<trimmed.startIndex + $0.upperBound]) }
    }

    /// A record as the JSONPath filters see it: parsed JSON, or a CSV line as an array of its columns (strings).
    public static func value(_ record: ArraySlice<UInt8>, format: Format) throws -> JSONValue {
        switch format {
        case .json:
            do {
                return try JSONValue.parse(Array(record))
            } catch {
                let text = String(decoding: record.prefix(200), as: UTF8.self)
                throw OspreyError(.validation, "The record '\(text)' is not JSON, as its content type says it is.")
            }
        case .csv:
            return .array(record.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map {
                .string(String(decoding: $0, as: UTF8.self))
            })
        }
    }

    /// A filtered or joined value written back in its format: JSON text, or CSV columns joined by commas.
    public static func render(_ value: JSONValue, format: Format) -> [UInt8] {
        switch (format, value) {
        case (.json, _): return Array(value.text.utf8)
        case (.csv, .array(let cells)): return Array(cells.map(cell).joined(separator: ",").utf8)
        case (.csv, _): return Array(cell(value).utf8)
        }
    }

    /// JoinSource `Input`: a JSON object gets the answer under `SageMakerOutput`, a JSON array gets it appended, a CSV
    /// record gets the answer's columns appended.
    public static func join(input: JSONValue, inputFormat: Format, answer: [UInt8], answerFormat: Format) -> JSONValue {
        let output: JSONValue
        switch answerFormat {
        case .json: output = (try? JSONValue.parse(answer)) ?? .string(String(decoding: answer, as: UTF8.self))
        case .csv: output = (try? value(answer[...], format: .csv)) ?? .string(String(decoding: answer, as: UTF8.self))
        }
        switch (inputFormat, input) {
        case (.json, .object(var members)):
            members["SageMakerOutput"] = output
            return .object(members)
        case (.json, .array(let items)):
            return .array(items + [output])
        case (.json, _):
            return .object(["SageMakerInput": input, "SageMakerOutput": output])
        case (.csv, .array(let cells)):
            if case .array(let more) = output { return .array(cells + more) }
            return .array(cells + [output])
        case (.csv, _):
            return .array([input, output])
        }
    }

    private static func cell(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return value.text
    }

    private static func trimmingNewlines(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let last = slice.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { slice = slice.dropLast() }
        return slice
    }
}
