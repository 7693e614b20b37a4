import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OspreyCore
import Testing

@testable import OspreyServer

/// Application Auto Scaling on the shared listener, in-process: dispatch by target, shapes, error names, settings.
@Suite struct AutoScalingAdapterTests {
    static func call(
        _ client: any TestClientProtocol, _ operation: String, _ body: String, _ check: @escaping @Sendable (HTTPResponse.Status, JSONValue) -> Void
    ) async throws {
        var headers = AdapterTests.bearer
        headers[.xAmzTarget] = "AnyScaleFrontendService.\(operation)"
        headers[.contentType] = "application/x-amz-json-1.1"
        try await client.execute(uri: "/", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            check(response.status, (try? JSONValue.parse(Array(String(buffer: response.body).utf8))) ?? .null)
        }
    }

    @Test func operationsAnswerInApplicationAutoScalingTerms() async throws {
        try await AdapterTests.withServer { client in
            let variant = #""ServiceNamespace": "sagemaker", "ScalableDimension": "sagemaker:variant:DesiredInstanceCount""#
            try await Self.call(client, "DescribeScalableTargets", #"{"ServiceNamespace": "sagemaker"}"#) { status, body in
                #expect(status == .ok)
                #expect(body == .object(["ScalableTargets": .array([])]))
            }
            try await Self.call(client, "DeregisterScalableTarget", #"{\#(variant), "ResourceId": "endpoint/e/variant/v"}"#) { status, body in
                #expect(status == .badRequest)
                #expect(body["__type"]?.stringValue == "ObjectNotFoundException")
                #expect(
                    body["message"]?.stringValue
                        == "No scalable target registered for service namespace: sagemaker, resource ID: endpoint/e/variant/v, "
                        + "scalable dimension: sagemaker:variant:DesiredInstanceCount")
            }
            let ecs = #"{"ServiceNamespace": "ecs", "ResourceId": "service/default/web", "ScalableDimension": "ecs:service:DesiredCount"}"#
            try await Self.call(client, "RegisterScalableTarget", ecs) { status, body in
                #expect(status == .badRequest)
                #expect(body["__type"]?.stringValue == "ValidationException")
                #expect(body["message"]?.stringValue?.hasPrefix("Osprey scales SageMaker endpoint variants only") == true)
            }
            try await Self.call(client, "RegisterScalableTarget", #"{\#(variant), "ResourceId": "endpoint/e/variant/v", "Extra": 1}"#) {
                status, body in
                #expect(body["__type"]?.stringValue == "ValidationException")
                #expect(body["message"]?.stringValue?.contains("Unknown parameter 'extra'") == true)
            }
            try await Self.call(
                client, "RegisterScalableTarget", #"{\#(variant), "ResourceId": "endpoint/e/variant/v", "MinCapacity": 1, "MaxCapacity": 2}"#
            ) {
                status, body in
                #expect(body["message"]?.stringValue == #"Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/e"."#)
            }
            try await Self.call(client, "DescribeScalingActivities", #"{"ServiceNamespace": "sagemaker", "NextToken": "bogus"}"#) { status, body in
                #expect(body["__type"]?.stringValue == "InvalidNextTokenException")
            }
            try await Self.call(client, "PutScheduledAction", #"{}"#) { status, body in
                #expect(body["__type"]?.stringValue == "UnknownOperationException")
            }
        }
    }

    @Test func settingsComeFromTheEnvironment() throws {
        var config = ServerConfiguration(dataDir: "/d")
        #expect(config.autoscaling.interval == .seconds(10) && config.autoscaling.window == 60)
        try config.apply(environment: ["OSPREY_AUTOSCALING_INTERVAL": "0.5", "OSPREY_AUTOSCALING_WINDOW": "4"])
        #expect(config.autoscaling.interval == .milliseconds(500) && config.autoscaling.window == 4)
        #expect(throws: OspreyError.self) { try config.apply(environment: ["OSPREY_AUTOSCALING_INTERVAL": "0"]) }
    }
}
