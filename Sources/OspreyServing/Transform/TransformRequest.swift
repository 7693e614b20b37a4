import Foundation
import OspreyCore
import OspreyServices

/// The parts of a `CreateTransformJob` request the service acts on, read from the shape-validated JSON and checked with
/// SageMaker's rules.
struct TransformRequest: Sendable {
    var name: String
    var modelName: String
    /// `S3Prefix`: every object under the prefix; `ManifestFile`: the objects a JSON manifest lists.
    var input: S3URI
    var manifest: Bool
    var contentType: String?
    /// SplitType `Line` (one record per line) or `None` (the whole object).
    var splitLines: Bool
    var output: S3URI
    var accept: String?
    /// AssembleWith `Line`: each answer on its own line; `None`: answers concatenated.
    var assembleLines: Bool
    var instanceType: String
    var instanceCount: Int
    var multiRecord: Bool
    /// MaxPayloadInMB in bytes; nil for 0 (no limit).
    var maxPayloadBytes: Int?
    /// MaxConcurrentTransforms; nil to use one call per worker.
    var maxConcurrent: Int?
    var environment: [String: String]
    var inputFilter: JSONPathFilter?
    var outputFilter: JSONPathFilter?
    var joinInput: Bool
    var invocationTimeoutSeconds: Int
    var invocationRetries: Int

    init(_ request: JSONValue) throws {
        name = request["TransformJobName"]?.stringValue ?? ""
        try Names.validateResourceName(name, field: "transformJobName")
        modelName = request["ModelName"]?.stringValue ?? ""
        let transformInput = request["TransformInput"]
        let source = transformInput?["DataSource"]?["S3DataSource"]
        let dataType = source?["S3DataType"]?.stringValue ?? "S3Prefix"
        guard dataType == "S3Prefix" || dataType == "ManifestFile" else {
            throw OspreyError(.validation, "S3DataType \(dataType) is not supported for batch transform; use S3Prefix or ManifestFile.")
        }
        manifest = dataType == "ManifestFile"
        input = try S3URI(source?["S3Uri"]?.stringValue ?? "", field: "TransformInput.DataSource.S3DataSource.S3Uri")
        contentType = transformInput?["ContentType"]?.stringValue
        let split = transformInput?["SplitType"]?.stringValue ?? "None"
        guard split == "None" || split == "Line" else {
            throw OspreyError(.validation, "SplitType \(split) is not supported; use Line or None.")
        }
        splitLines = split == "Line"
        if let compression = transformInput?["CompressionType"]?.stringValue, compression != "None" {
            throw OspreyError(.validation, "CompressionType \(compression) is not supported; give uncompressed input (CompressionType None).")
        }
        let transformOutput = request["TransformOutput"]
        output = try S3URI(transformOutput?["S3OutputPath"]?.stringValue ?? "", field: "TransformOutput.S3OutputPath")
        accept = transformOutput?["Accept"]?.stringValue
        assembleLines = transformOutput?["AssembleWith"]?.stringValue == "Line"
        instanceType = request["TransformResources"]?["InstanceType"]?.stringValue ?? "ml.m5.large"
        instanceCount = Int(request["TransformResources"]?["InstanceCount"]?.numberValue ?? 1)
        guard instanceCount >= 1 else { throw OspreyError(.validation, "TransformResources.InstanceCount must be at least 1.") }
        multiRecord = request["BatchStrategy"]?.stringValue == "MultiRecord"
        let megabytes = Int(request["MaxPayloadInMB"]?.numberValue ?? 6)
        guard (0...100).contains(megabytes) else {
            throw OspreyError(.validation, "MaxPayloadInMB must be between 0 and 100; it is \(megabytes).")
        }
        maxPayloadBytes = megabytes == 0 ? nil : megabytes << 20
        let concurrent = request["MaxConcurrentTransforms"]?.numberValue.map(Int.init)
        if let concurrent, concurrent > 0, megabytes * concurrent > 100 {
            throw OspreyError(
                .validation, "MaxConcurrentTransforms × MaxPayloadInMB must not exceed 100 MB; it is \(concurrent) × \(megabytes) MB.")
        }
        maxConcurrent = concurrent.flatMap { $0 > 0 ? $0 : nil }
        environment = (request["Environment"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let processing = request["DataProcessing"]
        inputFilter = try processing?["InputFilter"]?.stringValue.map { try JSONPathFilter($0, field: "DataProcessing.InputFilter") }
        outputFilter = try processing?["OutputFilter"]?.stringValue.map { try JSONPathFilter($0, field: "DataProcessing.OutputFilter") }
        joinInput = processing?["JoinSource"]?.stringValue == "Input"
        let client = request["ModelClientConfig"]
        invocationTimeoutSeconds = Int(client?["InvocationsTimeoutInSeconds"]?.numberValue ?? 600)
        invocationRetries = Int(client?["InvocationsMaxRetries"]?.numberValue ?? 3)
    }

    /// Whether answers are handled record by record (joined with their input or filtered) rather than batch by batch.
    var perRecordAnswers: Bool { joinInput || outputFilter != nil }

    /// The variables SageMaker gives a batch transform container, under the job's own `Environment`.
    func containerEnvironment() -> [String: String] {
        var variables = [
            "SAGEMAKER_BATCH": "true", "SAGEMAKER_MAX_PAYLOAD_IN_MB": String((maxPayloadBytes ?? 0) >> 20),
            "SAGEMAKER_BATCH_STRATEGY": multiRecord ? "MULTI_RECORD" : "SINGLE_RECORD",
            "SAGEMAKER_MODEL_SERVER_TIMEOUT": String(invocationTimeoutSeconds),
        ]
        if let maxConcurrent { variables["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"] = String(maxConcurrent) }
        variables.merge(environment) { _, given in given }
        return variables
    }
}
