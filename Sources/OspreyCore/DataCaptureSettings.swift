import Foundation

/// A parsed `DataCaptureConfig` of an endpoint configuration: which invocations the router samples, what it keeps of
/// them and where it writes them (`{DestinationS3Uri}/{EndpointName}/{VariantName}/{yyyy}/{mm}/{dd}/{hh}/{id}.jsonl`).
public struct DataCaptureSettings: Sendable, Hashable, Codable {
    /// `EnableCapture` (SageMaker's default: true).
    public var enabled: Bool
    /// `InitialSamplingPercentage`, 0 to 100.
    public var samplingPercentage: Int
    /// `DestinationS3Uri`: `s3://bucket[/prefix]`.
    public var destination: String
    public var capturesInput: Bool
    public var capturesOutput: Bool
    /// `CaptureContentTypeHeader.CsvContentTypes`: bodies of these types are kept as text with encoding `CSV`.
    public var csvContentTypes: [String]
    /// `CaptureContentTypeHeader.JsonContentTypes`: kept as text with encoding `JSON`. Any other type is `BASE64`.
    public var jsonContentTypes: [String]
    public var kmsKeyId: String?

    public init(
        enabled: Bool = true, samplingPercentage: Int, destination: String, capturesInput: Bool = true, capturesOutput: Bool = true,
        csvContentTypes: [String] = [], jsonContentTypes: [String] = [], kmsKeyId: String? = nil
    ) {
        self.enabled = enabled
        self.samplingPercentage = samplingPercentage
        self.destination = destination
        self.capturesInput = capturesInput
        self.capturesOutput = capturesOutput
        self.csvContentTypes = csvContentTypes
        self.jsonContentTypes = jsonContentTypes
        self.kmsKeyId = kmsKeyId
    }

    /// The configuration as DescribeEndpointConfig shows it (defaults filled in).
    public var json: JSONValue {
        var options: [JSONValue] = []
        if capturesInput { options.append(.object(["CaptureMode": .string("Input")])) }
        if capturesOutput { options.append(.object(["CaptureMode": .string("Output")])) }
        var out: [String: JSONValue] = [
            "EnableCapture": .bool(enabled), "InitialSamplingPercentage": .number(Double(samplingPercentage)),
            "DestinationS3Uri": .string(destination), "CaptureOptions": .array(options),
        ]
        var header: [String: JSONValue] = [:]
        if !csvContentTypes.isEmpty { header["CsvContentTypes"] = .array(csvContentTypes.map(JSONValue.string)) }
        if !jsonContentTypes.isEmpty { header["JsonContentTypes"] = .array(jsonContentTypes.map(JSONValue.string)) }
        if !header.isEmpty { out["CaptureContentTypeHeader"] = .object(header) }
        if let kmsKeyId { out["KmsKeyId"] = .string(kmsKeyId) }
        return .object(out)
    }

    /// DescribeEndpoint's `DataCaptureConfigSummary`.
    public var summary: JSONValue {
        .object([
            "EnableCapture": .bool(enabled), "CaptureStatus": .string(enabled ? "Started" : "Stopped"),
            "CurrentSamplingPercentage": .number(Double(samplingPercentage)), "DestinationS3Uri": .string(destination),
        ])
    }
}

extension ServingValidation {
    /// Content types per `CaptureContentTypeHeader` list, as SageMaker bounds them.
    static let maxCaptureContentTypes = 10

    /// The `DataCaptureConfig` of a `CreateEndpointConfig` request, nil when absent; `.validation` naming the member at fault.
    public static func dataCapture(_ value: JSONValue?) throws -> DataCaptureSettings? {
        guard let value, value != .null else { return nil }
        let field = "DataCaptureConfig"
        if let enable = value["EnableCapture"], enable != .null, enable.boolValue == nil {
            throw OspreyError(.validation, "\(field).EnableCapture must be true or false.")
        }
        guard let percentage = value["InitialSamplingPercentage"]?.numberValue else {
            throw OspreyError(.validation, "\(field).InitialSamplingPercentage is required.")
        }
        guard percentage.rounded() == percentage, percentage >= 0, percentage <= 100 else {
            throw OspreyError(.validation, "\(field).InitialSamplingPercentage must be an integer from 0 to 100, not \(percentage).")
        }
        guard let destination = value["DestinationS3Uri"]?.stringValue else {
            throw OspreyError(.validation, "\(field).DestinationS3Uri is required.")
        }
        try checkS3(destination, field: "\(field).DestinationS3Uri")
        guard destination.count <= 512 else {
            throw OspreyError(.validation, "\(field).DestinationS3Uri may be at most 512 characters long.")
        }
        let options = value["CaptureOptions"]?.arrayValue ?? []
        guard (1...32).contains(options.count) else {
            throw OspreyError(.validation, "\(field).CaptureOptions must list 1 to 32 options ({\"CaptureMode\": \"Input\" or \"Output\"}).")
        }
        var modes: Set<String> = []
        for (index, option) in options.enumerated() {
            let mode = option["CaptureMode"]?.stringValue ?? ""
            guard mode == "Input" || mode == "Output" else {
                throw OspreyError(.validation, "\(field).CaptureOptions.\(index + 1).CaptureMode must be Input or Output, not '\(mode)'.")
            }
            modes.insert(mode)
        }
        let header = value["CaptureContentTypeHeader"]
        return DataCaptureSettings(
            enabled: value["EnableCapture"]?.boolValue ?? true, samplingPercentage: Int(percentage), destination: destination,
            capturesInput: modes.contains("Input"), capturesOutput: modes.contains("Output"),
            csvContentTypes: try contentTypes(header?["CsvContentTypes"], field: "\(field).CaptureContentTypeHeader.CsvContentTypes"),
            jsonContentTypes: try contentTypes(header?["JsonContentTypes"], field: "\(field).CaptureContentTypeHeader.JsonContentTypes"),
            kmsKeyId: value["KmsKeyId"]?.stringValue)
    }

    private static func contentTypes(_ value: JSONValue?, field: String) throws -> [String] {
        guard let value, value != .null else { return [] }
        guard let list = value.arrayValue, (1...maxCaptureContentTypes).contains(list.count) else {
            throw OspreyError(.validation, "\(field) must list 1 to \(maxCaptureContentTypes) content types.")
        }
        return try list.map { entry in
            guard let type = entry.stringValue, !type.isEmpty, type.count <= 256, !type.contains(where: \.isWhitespace) else {
                throw OspreyError(.validation, "\(field) holds '\(entry.text)', which is not a content type.")
            }
            return type
        }
    }
}
