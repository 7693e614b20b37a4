/// One input channel of a training job, as `inputdataconfig.json` describes it to the job.
public struct TrainingChannel: Sendable, Equatable {
    /// `ContentType` from the request; omitted from the file when nil.
    public var contentType: String?
    /// `TrainingInputMode`: `File`, `Pipe` or `FastFile`.
    public var inputMode: String
    /// `S3DistributionType`: `FullyReplicated` or `ShardedByS3Key`.
    public var s3DistributionType: String
    /// `RecordWrapperType`: `None` or `RecordIO`.
    public var recordWrapperType: String

    public init(
        contentType: String? = nil, inputMode: String = "File", s3DistributionType: String = "FullyReplicated",
        recordWrapperType: String = "None"
    ) {
        self.contentType = contentType
        self.inputMode = inputMode
        self.s3DistributionType = s3DistributionType
        self.recordWrapperType = recordWrapperType
    }
}

/// What the training contract needs to know about a job: the request's fields, resolved by the caller.
///
/// Hyperparameter values are given raw, as the request carried them (`"0.1"` from boto3 or `"\"train.py\""` from the SDK);
/// the contract decodes them as the SageMaker training toolkit does.
public struct TrainingJobDescription: Sendable, Equatable {
    public var jobName: String
    /// `ResourceConfig.InstanceCount`: the number of hosts, `algo-1` … `algo-N`.
    public var instanceCount: Int
    /// `ResourceConfig.InstanceType`, for example `ml.m5.xlarge`.
    public var instanceType: String
    public var hyperparameters: [String: String]
    public var channels: [String: TrainingChannel]
    /// The request's `Environment`. Read as the toolkit reads the container's environment (`SAGEMAKER_PROGRAM`,
    /// `SAGEMAKER_TRAINING_MODULE`, `SM_HP_MP_PARAMETERS`); not copied into the contract's variables.
    public var environment: [String: String]
    public var cpuCount: Int
    public var gpuCount: Int
    /// The entry point when the request names one outside the hyperparameters; otherwise `sagemaker_program` is used.
    public var entryPoint: String?
    /// The port `algo-1` may bind for distributed training, published as `MASTER_PORT`.
    public var masterPort: Int

    public init(
        jobName: String, instanceCount: Int = 1, instanceType: String = "ml.m5.large", hyperparameters: [String: String] = [:],
        channels: [String: TrainingChannel] = [:], environment: [String: String] = [:], cpuCount: Int = 1, gpuCount: Int = 0,
        entryPoint: String? = nil, masterPort: Int = 7777
    ) {
        self.jobName = jobName
        self.instanceCount = instanceCount
        self.instanceType = instanceType
        self.hyperparameters = hyperparameters
        self.channels = channels
        self.environment = environment
        self.cpuCount = cpuCount
        self.gpuCount = gpuCount
        self.entryPoint = entryPoint
        self.masterPort = masterPort
    }
}
