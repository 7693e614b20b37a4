import AsyncHTTPClient
import Foundation
import NIOCore
import OspreyCore

/// Deploys models and invokes endpoints through an Osprey server's SageMaker API and Runtime.
struct ServingClient {
    let api: AWSJSONClient

    /// What an endpoint answered.
    struct Answer {
        var variant: String
        var contentType: String?
        var body: [UInt8]
    }

    /// Deploys `source` as `endpoint`: a training job (its model, its image, and its source archive as the inference code
    /// with `entryPoint` as the program) or an existing model. Makes `<endpoint>-model` (for a job) and `<endpoint>-config`
    /// (one variant, `AllTraffic`), then the endpoint; returns the endpoint's description (InService when `wait`).
    func deploy(_ source: String, endpoint: String, instanceCount: Int, instanceType: String, entryPoint: String, wait: Bool) async throws
        -> JSONValue
    {
        var model = source
        if let job = try? await api.call("SageMaker.DescribeTrainingJob", .object(["TrainingJobName": .string(source)])) {
            guard job["TrainingJobStatus"]?.stringValue == "Completed", let data = job["ModelArtifacts"]?["S3ModelArtifacts"]?.stringValue else {
                throw OspreyError(.validation, "Training job \(source) is \(job["TrainingJobStatus"]?.stringValue ?? "unknown"), not Completed.")
            }
            var environment: [String: JSONValue] = ["SAGEMAKER_PROGRAM": .string(entryPoint)]
            if let code = job["HyperParameters"]?["sagemaker_submit_directory"]?.stringValue {
                environment["SAGEMAKER_SUBMIT_DIRECTORY"] = .string(Self.decoded(code))
            }
            model = endpoint + "-model"
            _ = try await api.call(
                "SageMaker.CreateModel",
                .object([
                    "ModelName": .string(model), "ExecutionRoleArn": job["RoleArn"] ?? .string("arn:aws:iam::000000000000:role/Osprey"),
                    "PrimaryContainer": .object([
                        "Image": job["AlgorithmSpecification"]?["TrainingImage"] ?? .string("osprey/python"), "ModelDataUrl": .string(data),
                        "Environment": .object(environment),
                    ]),
                ]))
        }
        let config = endpoint + "-config"
        _ = try await api.call(
            "SageMaker.CreateEndpointConfig",
            .object([
                "EndpointConfigName": .string(config),
                "ProductionVariants": .array([
                    .object([
                        "VariantName": .string("AllTraffic"), "ModelName": .string(model), "InitialInstanceCount": .number(Double(instanceCount)),
                        "InstanceType": .string(instanceType), "InitialVariantWeight": .number(1),
                    ])
                ]),
            ]))
        _ = try await api.call("SageMaker.CreateEndpoint", .object(["EndpointName": .string(endpoint), "EndpointConfigName": .string(config)]))
        guard wait else { return try await describe(endpoint) }
        return try await waitUntilSettled(endpoint)
    }

    func describe(_ endpoint: String) async throws -> JSONValue {
        try await api.call("SageMaker.DescribeEndpoint", .object(["EndpointName": .string(endpoint)]))
    }

    /// Polls until the endpoint is no longer Creating/Updating/RollingBack; throws when it ends Failed.
    func waitUntilSettled(_ endpoint: String, timeout: Duration = .seconds(900)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let described = try await describe(endpoint)
            let status = described["EndpointStatus"]?.stringValue ?? ""
            if status == "Failed" {
                throw OspreyError("EndpointFailed", "Endpoint \(endpoint) failed: \(described["FailureReason"]?.stringValue ?? "no reason given")")
            }
            if !["Creating", "Updating", "RollingBack", "SystemUpdating"].contains(status) { return described }
            guard ContinuousClock.now < deadline else { throw OspreyError(.unavailable, "Endpoint \(endpoint) is still \(status).") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// `POST /endpoints/{name}/invocations`; a `ModelError` or another error answer becomes an `OspreyError` with its type.
    func invoke(_ endpoint: String, body: [UInt8], contentType: String, accept: String?, variant: String?) async throws -> Answer {
        let name = endpoint.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? endpoint
        var request = HTTPClientRequest(url: api.endpoint + "/endpoints/\(name)/invocations")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(api.secret)")
        request.headers.add(name: "Content-Type", value: contentType)
        if let accept { request.headers.add(name: "Accept", value: accept) }
        if let variant { request.headers.add(name: "X-Amzn-SageMaker-Target-Variant", value: variant) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await CLIHTTP.client.execute(request, timeout: .seconds(120))
        } catch {
            throw OspreyError(.unavailable, "Cannot reach \(api.endpoint): \(error)")
        }
        let answer = Array(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        guard response.status.code == 200 else {
            let error = try? JSONValue.parse(answer)
            let type = response.headers.first(name: "x-amzn-ErrorType")?.split(separator: ":").first.map(String.init) ?? "HTTP\(response.status.code)"
            throw OspreyError(OspreyError.Code(rawValue: type), error?["message"]?.stringValue ?? "The server answered \(response.status).")
        }
        return Answer(
            variant: response.headers.first(name: "x-Amzn-Invoked-Production-Variant") ?? "", contentType: response.headers.first(name: "Content-Type"),
            body: answer)
    }

    /// A hyperparameter as the SDK sends it (JSON-encoded) or as given.
    static func decoded(_ value: String) -> String {
        (try? JSONValue.parse(Array(value.utf8)))?.stringValue ?? value
    }
}
