import Foundation
import Logging
public import OspreyCore

/// How often the autoscaler looks at the scalable targets and over how long it measures their invocation rate.
public struct AutoScalingSettings: Sendable, Equatable {
    /// `autoscaling-interval` (seconds).
    public var interval: Duration = .seconds(10)
    /// `autoscaling-window` (seconds): the sliding window of the invocation rate, extrapolated to a minute when shorter.
    public var window: TimeInterval = 60

    public init() {}

    /// Parses a number of seconds over 0 for the setting `key`; throws `.validation` naming it and `source`.
    public static func seconds(_ key: String, _ value: String, source: String) throws -> Double {
        guard let seconds = Double(value), seconds.isFinite, seconds > 0 else {
            throw OspreyError(.validation, "\(key) in \(source) must be a number of seconds over 0, not '\(value)'.")
        }
        return seconds
    }
}

/// Target tracking for endpoint variants: every tick it samples each registered target's invocation count, settles the
/// scaling activity under way, and scales the variant (through `EndpointService.updateWeightsAndCapacities`, so the record,
/// its events and the fleet move together) when the target's bounds or its policies say so and the endpoint is InService.
public actor AutoScaler {
    /// Cumulative invocations per variant of an endpoint's serving fleet (`ServingRuntime.invocationCounts`).
    public typealias InvocationCounts = @Sendable (_ endpointName: String, _ accountId: String) async -> [String: Int]

    let store: any MetadataStore
    let endpoints: EndpointService
    let invocations: InvocationCounts
    let clock: any WallClock
    let ids: any IDGenerator
    let window: TimeInterval
    let logger: Logger
    var windows: [String: InvocationWindow] = [:]
    /// Targets being evaluated now: a tick and a RegisterScalableTarget never act on one target at once.
    var busy: Set<String> = []

    public init(
        store: any MetadataStore, endpoints: EndpointService, invocations: @escaping InvocationCounts, clock: any WallClock,
        ids: any IDGenerator = RandomIDGenerator(), window: TimeInterval, logger: Logger
    ) {
        self.store = store
        self.endpoints = endpoints
        self.invocations = invocations
        self.clock = clock
        self.ids = ids
        self.window = window
        self.logger = logger
    }

    /// Evaluates every registered target of every account once.
    public func tick() async {
        let targets: [ScalableTarget]
        do {
            targets = try await store.scalableTargets(accountId: nil)
        } catch {
            logger.warning("The autoscaler could not read the scalable targets", metadata: ["error": "\(error)"])
            return
        }
        let keys = Set(targets.map(Self.key))
        windows = windows.filter { keys.contains($0.key) }
        for target in targets { await evaluate(target) }
    }

    /// Samples, settles and (when due) scales one target; failures are logged, never thrown.
    public func evaluate(_ target: ScalableTarget) async {
        let key = Self.key(target)
        guard busy.insert(key).inserted else { return }
        defer { busy.remove(key) }
        do {
            try await step(target, key: key)
        } catch {
            logger.warning("Autoscaling a variant failed", metadata: ["resource": "\(target.resourceId)", "error": "\(error)"])
        }
    }

    private func step(_ target: ScalableTarget, key: String) async throws {
        let now = clock.now()
        let endpoint = try await store.endpoint(name: target.variant.endpointName, accountId: target.accountId)
        if let endpoint {
            let count = await invocations(endpoint.name, endpoint.accountId)[target.variant.variantName] ?? 0
            windows[key, default: InvocationWindow(length: window)].record(count: count, at: now)
        }
        let recent = try await store.scalingActivities(accountId: target.accountId, resourceId: target.resourceId, offset: 0, limit: 20)
        if let running = recent.first, running.status == .inProgress {
            try await settle(running, endpoint: endpoint)
            return
        }
        guard let endpoint, endpoint.status == .inService,
            let variant = endpoint.variants.first(where: { $0.name == target.variant.variantName })
        else { return }
        let current = variant.desiredInstanceCount
        var decision = AutoScalingDecision.bounds(current: current, target: target)
        if decision == nil, let perMinute = windows[key]?.perMinute {
            let policies = try await store.scalingPolicies(accountId: target.accountId, resourceId: target.resourceId)
            decision = AutoScalingDecision.decide(
                current: current, perMinute: perMinute, target: target, policies: policies,
                lastScaleOut: recent.first(where: \.isScaleOut).map { $0.endTime ?? $0.startTime },
                lastScaling: recent.first.map { $0.endTime ?? $0.startTime }, now: now)
        }
        guard case .scale(let capacity, let cause) = decision else { return }
        try await scale(target, from: current, to: capacity, cause: cause, at: now)
    }

    /// Records the activity, then asks for the new count; the activity stays InProgress until the endpoint settles.
    private func scale(_ target: ScalableTarget, from current: Int, to capacity: Int, cause: String, at now: Date) async throws {
        var activity = ScalingActivity(
            id: AutoScalingService.uuid(ids), accountId: target.accountId, variant: target.variant, fromCapacity: current,
            toCapacity: capacity, cause: cause, startTime: now)
        try await store.insertScalingActivity(activity)
        logger.info(
            "Scaling an endpoint variant",
            metadata: ["resource": "\(target.resourceId)", "from": "\(current)", "to": "\(capacity)", "cause": "\(cause)"])
        let request: JSONValue = .object([
            "EndpointName": .string(target.variant.endpointName),
            "DesiredWeightsAndCapacities": .array([
                .object(["VariantName": .string(target.variant.variantName), "DesiredInstanceCount": .number(Double(capacity))])
            ]),
        ])
        do {
            _ = try await endpoints.updateWeightsAndCapacities(request, accountId: target.accountId)
        } catch {
            let reason = (error as? OspreyError)?.message ?? "\(error)"
            activity.finish(.failed, at: clock.now(), message: "Failed to set desired instance count to \(capacity). Reason: \(reason)")
            try await store.updateScalingActivity(activity)
        }
    }

    /// Ends a running activity once its endpoint is no longer being updated: Successful when the variant serves the count
    /// it asked for, Failed otherwise.
    private func settle(_ running: ScalingActivity, endpoint: Endpoint?) async throws {
        var activity = running
        let capacity = activity.toCapacity
        let failed = "Failed to set desired instance count to \(capacity). Reason: "
        guard let endpoint else {
            activity.finish(.failed, at: clock.now(), message: failed + "the endpoint \(running.variant.endpointName) no longer exists.")
            return try await store.updateScalingActivity(activity)
        }
        guard !endpoint.status.isInProgress else { return }
        let serving = endpoint.variants.first { $0.name == running.variant.variantName }?.currentInstanceCount
        if endpoint.status == .inService && serving == capacity {
            activity.finish(
                .successful, at: clock.now(),
                message: "Successfully set desired instance count to \(capacity). Change successfully fulfilled by sagemaker.")
        } else if endpoint.status == .inService {
            let count = serving.map { "\($0) instances" } ?? "no instances"
            activity.finish(.failed, at: clock.now(), message: failed + "the endpoint's update did not take effect; the variant serves \(count).")
        } else {
            activity.finish(.failed, at: clock.now(), message: failed + "the endpoint is \(endpoint.status.rawValue).")
        }
        try await store.updateScalingActivity(activity)
    }

    static func key(_ target: ScalableTarget) -> String { target.accountId + "/" + target.resourceId }
}

extension ScalingActivity {
    mutating func finish(_ status: ScalingActivityStatus, at time: Date, message: String) {
        self.status = status
        self.endTime = max(time, startTime)
        self.statusMessage = message
    }
}
