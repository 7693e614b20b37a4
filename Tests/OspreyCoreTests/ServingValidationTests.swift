import Foundation
import OspreyCore
import Testing

@Suite struct ServingValidationTests {
    static func json(_ text: String) -> JSONValue { try! JSONValue.parse(Array(text.utf8)) }

    @Test func aPrimaryContainerOrAPipeline() throws {
        let single = try ServingValidation.containers(
            of: Self.json(
                """
                {"ModelName": "m", "PrimaryContainer": {"Image": "osprey/python", "ModelDataUrl": "s3://b/model.tar.gz",
                 "Environment": {"SAGEMAKER_PROGRAM": "inference.py"}}}
                """))
        #expect(
            single == [
                ModelContainer(
                    image: "osprey/python", modelData: ModelData(uri: "s3://b/model.tar.gz", isArchive: true, isPrefix: false),
                    environment: ["SAGEMAKER_PROGRAM": "inference.py"])
            ])

        let pipeline = try ServingValidation.containers(
            of: Self.json(
                """
                {"Containers": [{"Image": "a", "ContainerHostname": "one"}, {"Image": "b", "ModelDataUrl": "s3://b/k"}]}
                """))
        #expect(pipeline.map(\.image) == ["a", "b"] && pipeline[0].hostname == "one" && pipeline[0].modelData == nil)

        let multi = try ServingValidation.containers(
            of: Self.json(#"{"PrimaryContainer": {"Image": "a", "Mode": "MultiModel", "ModelDataUrl": "s3://b/models/"}}"#))
        #expect(multi[0].mode == .multiModel && multi[0].modelData?.isPrefix == true)

        let uncompressed = try ServingValidation.containers(
            of: Self.json(
                """
                {"PrimaryContainer": {"Image": "a", "ModelDataSource": {"S3DataSource": {"S3Uri": "s3://b/m/", "S3DataType": "S3Prefix",
                 "CompressionType": "None"}}}}
                """))
        #expect(uncompressed[0].modelData == ModelData(uri: "s3://b/m/", isArchive: false, isPrefix: true))
    }

    @Test func containerRefusals() {
        func refusal(_ text: String) -> String? { message { try ServingValidation.containers(of: Self.json(text)) } }
        #expect(refusal(#"{"ModelName": "m"}"#) == "Either PrimaryContainer or Containers must be specified.")
        #expect(
            refusal(#"{"PrimaryContainer": {"Image": "a"}, "Containers": [{"Image": "b"}]}"#)
                == "PrimaryContainer and Containers cannot both be specified.")
        let six = Array(repeating: #"{"Image": "a"}"#, count: 6).joined(separator: ",")
        #expect(refusal(#"{"Containers": [\#(six)]}"#)?.contains("2 to 5 containers; Containers has 6") == true)
        #expect(refusal(#"{"PrimaryContainer": {"ModelDataUrl": "s3://b/k"}}"#) == "PrimaryContainer.Image is required.")
        #expect(
            refusal(#"{"PrimaryContainer": {"Image": "a", "ModelDataUrl": "https://b/k"}}"#)?
                .contains("PrimaryContainer.ModelDataUrl must be an s3://bucket/key URI") == true)
        #expect(refusal(#"{"PrimaryContainer": {"Image": "a", "ModelDataUrl": "s3:///k"}}"#) != nil)
        #expect(refusal(#"{"PrimaryContainer": {"Image": "a", "Mode": "MultiModel"}}"#)?.contains("MultiModel needs ModelDataUrl") == true)
        #expect(
            refusal(#"{"Containers": [{"Image": "a"}, {"Image": "b", "Mode": "MultiModel", "ModelDataUrl": "s3://b/p/"}]}"#)?
                .contains("not supported in an inference pipeline") == true)
        #expect(refusal(#"{"PrimaryContainer": {"ModelPackageName": "pkg"}}"#)?.contains("ModelPackageName is not supported") == true)
        #expect(
            refusal(#"{"Containers": [{"Image": "a", "ContainerHostname": "h"}, {"Image": "b", "ContainerHostname": "h"}]}"#)?
                .contains("appears more than once") == true)
    }

    @Test func productionVariants() throws {
        let variants = try ServingValidation.variants(
            of: Self.json(
                """
                {"ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 2,
                  "InstanceType": "ml.m5.large"}, {"VariantName": "b", "ModelName": "n", "InitialInstanceCount": 1, "InitialVariantWeight": 0}]}
                """))
        #expect(
            variants == [
                VariantSpec(name: "AllTraffic", modelName: "m", instanceCount: 2, weight: 1, instanceType: "ml.m5.large"),
                VariantSpec(name: "b", modelName: "n", instanceCount: 1, weight: 0),
            ])

        func refusal(_ text: String) -> String? { message { try ServingValidation.variants(of: Self.json(text)) } }
        #expect(
            refusal(
                #"{"ProductionVariants": [{"VariantName": "a", "ModelName": "m", "InitialInstanceCount": 1}, "#
                    + #"{"VariantName": "a", "ModelName": "m", "InitialInstanceCount": 1}]}"#)?.contains("must be unique") == true)
        #expect(
            refusal(#"{"ProductionVariants": [{"VariantName": "a", "ModelName": "m", "InitialInstanceCount": 1, "InitialVariantWeight": 0}]}"#)
                == "At least one production variant must have a weight greater than 0.")
        #expect(refusal(#"{"ProductionVariants": [{"VariantName": "a", "InitialInstanceCount": 1}]}"#)?.contains("ModelName is required") == true)
        #expect(refusal(#"{"ProductionVariants": [{"VariantName": "a", "ModelName": "m"}]}"#)?.contains("InitialInstanceCount is required") == true)
        #expect(
            refusal(#"{"ProductionVariants": [{"VariantName": "a", "ModelName": "m", "InitialInstanceCount": 0}]}"#)?.contains("at least 1") == true)
        #expect(
            refusal(#"{"ProductionVariants": [{"VariantName": "a_b", "ModelName": "m", "InitialInstanceCount": 1}]}"#)?
                .contains("regular expression") == true)
        #expect(
            refusal(#"{"ProductionVariants": [], "AsyncInferenceConfig": {}}"#)
                == "AsyncInferenceConfig is not supported by Osprey's real-time endpoints.")
    }

    @Test func rollbackAlarmsAreOspreysOwn() throws {
        #expect(RollbackAlarm(name: "ModelErrorRate") == .modelErrorRate(percent: 1))
        #expect(RollbackAlarm(name: "ModelErrorRate:5") == .modelErrorRate(percent: 5))
        #expect(RollbackAlarm(name: "ModelLatencyP99:250") == .modelLatencyP99(milliseconds: 250))
        for bad in ["ModelErrorRate:", "ModelErrorRate:x", "ModelErrorRate:101", "ModelLatencyP99", "ModelLatencyP99:0", "CPUUtilization", ""] {
            #expect(RollbackAlarm(name: bad) == nil, "\(bad)")
        }
        let policy = try #require(
            try ServingValidation.deploymentPolicy(
                Self.json(
                    """
                    {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 30,
                      "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}}, "TerminationWaitInSeconds": 60},
                     "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "ModelErrorRate:5"}, {"AlarmName": "ModelLatencyP99:250"}]}}
                    """)))
        #expect(policy.alarms == [.modelErrorRate(percent: 5), .modelLatencyP99(milliseconds: 250)])
        #expect(policy.trafficRouting == .init(kind: .canary, waitIntervalSeconds: 30, step: .init(isPercent: true, value: 10)))
        #expect(policy.terminationWaitSeconds == 60)
        #expect(try ServingValidation.deploymentPolicy(nil) == nil)

        let refused = message {
            try ServingValidation.deploymentPolicy(Self.json(#"{"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "my-cloudwatch-alarm"}]}}"#))
        }
        #expect(
            refused == "Unknown alarm 'my-cloudwatch-alarm' in DeploymentConfig.AutoRollbackConfiguration.Alarms: Osprey evaluates its own "
                + "alarms on the new fleet; use ModelErrorRate, ModelErrorRate:<percent>, ModelLatencyP99:<milliseconds>.")
        #expect(
            message {
                try ServingValidation.deploymentPolicy(
                    Self.json(#"{"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "LINEAR", "WaitIntervalInSeconds": 1}}}"#))
            }?
            .contains("LinearStepSize is required") == true)
    }

    @Test func tagsAndStoredRequest() {
        let request = Self.json(#"{"ModelName": "m", "Tags": [{"Key": "team", "Value": "ml"}, {"Key": "empty"}]}"#)
        #expect(ServingValidation.tags(request["Tags"]) == ["team": "ml", "empty": ""])
        #expect(ServingValidation.withoutTags(request) == Self.json(#"{"ModelName": "m"}"#))
    }
}
