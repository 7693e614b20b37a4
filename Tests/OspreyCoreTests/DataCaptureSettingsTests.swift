import Foundation
import Testing

@testable import OspreyCore

/// `DataCaptureConfig` of CreateEndpointConfig: validated as SageMaker does, stored parsed, shown with defaults.
@Suite struct DataCaptureSettingsTests {
    static func parse(_ text: String) throws -> DataCaptureSettings? {
        try ServingValidation.dataCapture(try JSONValue.parse(Array(text.utf8)))
    }

    static func refusal(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as OspreyError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func parsesWithDefaults() throws {
        let settings = try #require(
            try Self.parse(
                #"{"InitialSamplingPercentage": 25, "DestinationS3Uri": "s3://bucket/capture", "CaptureOptions": [{"CaptureMode": "Input"}], "#
                    + #""CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]}}"#))
        #expect(
            settings
                == DataCaptureSettings(
                    samplingPercentage: 25, destination: "s3://bucket/capture", capturesOutput: false, jsonContentTypes: ["application/json"]))
        #expect(
            settings.json.text
                == #"{"CaptureContentTypeHeader":{"JsonContentTypes":["application/json"]},"CaptureOptions":[{"CaptureMode":"Input"}],"#
                + #""DestinationS3Uri":"s3://bucket/capture","EnableCapture":true,"InitialSamplingPercentage":25}"#)
        #expect(
            settings.summary.text
                == #"{"CaptureStatus":"Started","CurrentSamplingPercentage":25,"DestinationS3Uri":"s3://bucket/capture","EnableCapture":true}"#)
        let stopped = try #require(
            try Self.parse(
                #"{"EnableCapture": false, "InitialSamplingPercentage": 0, "DestinationS3Uri": "s3://b", "#
                    + #""CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}"#))
        #expect(!stopped.enabled && stopped.capturesInput && stopped.capturesOutput)
        #expect(stopped.summary["CaptureStatus"] == .string("Stopped"))
        #expect(try ServingValidation.dataCapture(nil) == nil)
        #expect(try ServingValidation.dataCapture(.null) == nil)
    }

    @Test func refusesWhatSageMakerRefuses() {
        let options = #""CaptureOptions": [{"CaptureMode": "Input"}]"#
        #expect(Self.refusal(#"{"DestinationS3Uri": "s3://b", "# + options + "}") == "DataCaptureConfig.InitialSamplingPercentage is required.")
        #expect(
            Self.refusal(#"{"InitialSamplingPercentage": 101, "DestinationS3Uri": "s3://b", "# + options + "}")?
                .contains("from 0 to 100") == true)
        #expect(Self.refusal(#"{"InitialSamplingPercentage": -1, "DestinationS3Uri": "s3://b", "# + options + "}") != nil)
        #expect(Self.refusal(#"{"InitialSamplingPercentage": 10, "# + options + "}") == "DataCaptureConfig.DestinationS3Uri is required.")
        #expect(
            Self.refusal(#"{"InitialSamplingPercentage": 10, "DestinationS3Uri": "https://b/x", "# + options + "}")?
                .contains("s3://") == true)
        #expect(
            Self.refusal(#"{"InitialSamplingPercentage": 10, "DestinationS3Uri": "s3://b", "CaptureOptions": []}"#)?
                .contains("CaptureOptions must list 1 to 32") == true)
        #expect(
            Self.refusal(#"{"InitialSamplingPercentage": 10, "DestinationS3Uri": "s3://b", "CaptureOptions": [{"CaptureMode": "Both"}]}"#)
                == "DataCaptureConfig.CaptureOptions.1.CaptureMode must be Input or Output, not 'Both'.")
        #expect(
            Self.refusal(
                #"{"InitialSamplingPercentage": 10, "DestinationS3Uri": "s3://b", "# + options
                    + #", "CaptureContentTypeHeader": {"CsvContentTypes": []}}"#)?.contains("CsvContentTypes must list 1 to 10") == true)
    }

    @Test func unsupportedNoMoreAndStoredOnTheRecord() throws {
        let request = try JSONValue.parse(
            Array(
                (#"{"ProductionVariants": [{"VariantName": "a", "ModelName": "m", "InitialInstanceCount": 1}], "#
                    + #""DataCaptureConfig": {"InitialSamplingPercentage": 100, "DestinationS3Uri": "s3://b", "#
                    + #""CaptureOptions": [{"CaptureMode": "Output"}]}}"#).utf8))
        #expect(try ServingValidation.variants(of: request).count == 1)
        let record = EndpointConfigRecord(
            name: "c", accountId: "000000000000", arn: "arn", request: request, creationTime: Date(timeIntervalSince1970: 0), variants: [],
            dataCapture: try ServingValidation.dataCapture(request["DataCaptureConfig"]))
        let decoded = try JSONDecoder().decode(EndpointConfigRecord.self, from: try JSONEncoder().encode(record))
        #expect(decoded.dataCapture == record.dataCapture && decoded.dataCapture?.capturesOutput == true)
        // Records stored before data capture existed decode without it.
        var old = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(record)) as? [String: Any])
        old["dataCapture"] = nil
        let legacy = try JSONDecoder().decode(EndpointConfigRecord.self, from: try JSONSerialization.data(withJSONObject: old))
        #expect(legacy.dataCapture == nil)
    }
}
