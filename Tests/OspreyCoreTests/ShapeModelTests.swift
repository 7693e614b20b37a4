import Foundation
import OspreyCore
import Testing

/// Validation against botocore's own SageMaker shapes (the file the server ships).
@Suite struct ShapeModelTests {
    static let model: ShapeModel = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/OspreyServer/SageMaker/sagemaker-shapes.json")
        return try! ShapeModel(json: Array(try! Data(contentsOf: url)))
    }()

    static func request(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    static let valid = """
        {"TrainingJobName": "job-1", "RoleArn": "arn:aws:iam::000000000000:role/Osprey",
         "AlgorithmSpecification": {"TrainingImage": "osprey/python", "TrainingInputMode": "File"},
         "HyperParameters": {"epochs": "3", "sagemaker_program": "\\"train.py\\""},
         "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
         "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
         "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}
        """

    @Test func acceptsAValidRequest() throws {
        try Self.model.validate(try Self.request(Self.valid), operation: "CreateTrainingJob")
    }

    @Test func refusesWhatTheServiceRefuses() throws {
        func message(_ text: String) throws -> String {
            do {
                try Self.model.validate(try Self.request(text), operation: "CreateTrainingJob")
                return ""
            } catch let error as OspreyError {
                #expect(error.code == .validation)
                return error.message
            }
        }
        let badName = try message(Self.valid.replacingOccurrences(of: "job-1", with: "bad_name"))
        #expect(badName.hasPrefix("1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to satisfy constraint"))
        #expect(badName.contains("regular expression pattern"))
        let missing = try message(#"{"TrainingJobName": "j"}"#)
        #expect(missing.contains("Value null at 'roleArn' failed to satisfy constraint: Member must not be null"))
        #expect(missing.contains("'outputDataConfig'"))
        let unknown = try message(Self.valid.replacingOccurrences(of: #""TrainingJobName""#, with: #""Bogus": 1, "TrainingJobName""#))
        #expect(unknown.contains("Unknown parameter 'bogus'"))
        let count = try message(Self.valid.replacingOccurrences(of: #""InstanceCount": 1"#, with: #""InstanceCount": -1"#))
        #expect(count.contains("at 'resourceConfig.instanceCount' failed to satisfy constraint: Member must have value greater than or equal to"))
        let mode = try message(Self.valid.replacingOccurrences(of: #""File""#, with: #""Sideways""#))
        #expect(mode.contains("Member must satisfy enum value set"))
        let type = try message(Self.valid.replacingOccurrences(of: #""InstanceCount": 1"#, with: #""InstanceCount": "one""#))
        #expect(type.contains("Member must be a number"))
    }

    @Test func unknownOperationsAreNamed() {
        #expect(throws: OspreyError.self) { try Self.model.validate(.object([:]), operation: "LaunchRocket") }
    }

    @Test func jsonRoundTrips() throws {
        let value = try JSONValue.parse(Array(#"{"b": [1, 2.5, true, null, "x\"y"], "a": {"n": -3}}"#.utf8))
        #expect(value.text == #"{"a":{"n":-3},"b":[1,2.5,true,null,"x\"y"]}"#)
        #expect(value["b"]?.arrayValue?[2] == .bool(true))
        #expect(throws: OspreyError.self) { try JSONValue.parse(Array("{nope".utf8)) }
    }
}
