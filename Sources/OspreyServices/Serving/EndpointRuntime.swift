public import OspreyCore

/// The data plane as the control plane sees it: brings endpoint fleets up, changes their traffic and takes them down.
///
/// `EndpointService` calls it from background tasks and turns what it returns or throws into endpoint statuses; the runtime
/// never writes endpoint records itself. A deployment task is cancelled when its endpoint is deleted.
public protocol EndpointRuntime: Sendable {
    /// Starts (or replaces) the fleet of `endpoint` for `config`, whose models are `models` (one per distinct model name of
    /// its variants); returns once every variant serves. During an update (`endpoint.status` is `Updating`) the previous fleet
    /// keeps serving until the new one takes over, and is serving again when this throws.
    ///
    /// Throws an `OspreyError` whose message becomes the endpoint's `FailureReason` (or, for an update, the reason in the
    /// event of its rollback). Call `progress.rollingBack(reason:)` when an alarm or a failure starts a rollback.
    func deploy(_ endpoint: Endpoint, config: EndpointConfigRecord, models: [ModelRecord], progress: DeploymentProgress) async throws

    /// Applies the desired weights and instance counts of `variants` to the running fleet, without a new configuration.
    func updateWeights(_ endpoint: Endpoint, variants: [EndpointVariant]) async throws

    /// Stops the endpoint's fleet (if any) and forgets it. Never fails: what cannot be stopped is logged by the runtime.
    func undeploy(endpointName: String, accountId: String) async
}

/// How a running deployment reports its progress to the control plane.
public struct DeploymentProgress: Sendable {
    let onRollingBack: @Sendable (_ reason: String) async -> Void

    public init(rollingBack: @escaping @Sendable (_ reason: String) async -> Void) {
        self.onRollingBack = rollingBack
    }

    /// The new fleet failed or tripped an alarm and traffic goes back to the previous one: the endpoint turns `RollingBack`.
    public func rollingBack(reason: String) async {
        await onRollingBack(reason)
    }
}
