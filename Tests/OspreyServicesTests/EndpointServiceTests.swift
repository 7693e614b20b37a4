import Foundation
import Logging
import OspreyCore
import OspreyServices
import OspreyStore
import Testing

/// A scripted runtime: what `deploy` does is chosen per configuration name; every call is recorded.
actor ScriptedRuntime: EndpointRuntime {
    enum Script: Sendable {
        case succeed
        case fail(String)
        /// Reports a rollback, then throws `reason`.
        case rollBack(String)
        /// Waits until `release(_:)`, then succeeds.
        case hold
    }

    private var scripts: [String: Script] = [:]
    private var held: [String: [(id: UUID, waiter: CheckedContinuation<Void, Never>)]] = [:]
    private var cancelled: Set<UUID> = []
    private(set) var calls: [String] = []

    func script(_ config: String, _ script: Script) { scripts[config] = script }

    func release(_ config: String) {
        for entry in held.removeValue(forKey: config) ?? [] { entry.waiter.resume() }
    }

    nonisolated func deploy(_ endpoint: Endpoint, config: EndpointConfigRecord, models: [ModelRecord], progress: DeploymentProgress) async throws {
        let script = await record("deploy \(endpoint.name) \(config.name) models=\(models.map(\.name).joined(separator: ","))", config: config.name)
        switch script {
        case .succeed: return
        case .fail(let reason): throw OspreyError(.validation, reason)
        case .rollBack(let reason):
            await progress.rollingBack(reason: reason)
            try await Task.sleep(for: .milliseconds(50))
            throw OspreyError(.validation, reason)
        case .hold:
            await waitForRelease(config.name)
            try Task.checkCancellation()
        }
    }

    nonisolated func updateWeights(_ endpoint: Endpoint, variants: [EndpointVariant]) async throws {
        _ = await record("weights \(endpoint.name) \(variants.map { "\($0.name)=\($0.desiredWeight)" }.joined(separator: ","))", config: "")
    }

    nonisolated func undeploy(endpointName: String, accountId: String) async {
        _ = await record("undeploy \(endpointName)", config: "")
    }

    private func record(_ call: String, config: String) -> Script {
        calls.append(call)
        return scripts[config] ?? .succeed
    }

    /// Waits for `release(config)` or the task's cancellation (a deleted endpoint's deployment is cancelled).
    private func waitForRelease(_ config: String) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter in
                if cancelled.remove(id) != nil { waiter.resume() } else { held[config, default: []].append((id, waiter)) }
            }
        } onCancel: {
            Task { await self.cancelHold(id) }
        }
    }

    private func cancelHold(_ id: UUID) {
        for (config, entries) in held {
            guard let index = entries.firstIndex(where: { $0.id == id }) else { continue }
            held[config]?.remove(at: index).waiter.resume()
            return
        }
        cancelled.insert(id)
    }
}

@Suite("Endpoint service")
struct EndpointServiceTests {
    static let account = "111111111111"

    static func json(_ text: String) -> JSONValue { try! JSONValue.parse(Array(text.utf8)) }

    /// A service over a fresh SQLite store, with the scripted runtime and only `osprey/python` as a known image.
    static func withService(_ body: (EndpointService, ScriptedRuntime, SQLMetadataStore) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("osprey-serving-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try await SQLMetadataStore.open(url: "sqlite:\(root)/osprey.db", logger: logger)
        let runtime = ScriptedRuntime()
        do {
            try await body(service(store, runtime), runtime, store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static func service(_ store: SQLMetadataStore, _ runtime: ScriptedRuntime) -> EndpointService {
        EndpointService(
            store: store, runtime: runtime, clock: SystemClock(), deployment: Deployment(), logger: logger,
            knownImage: { image, _ in image == "osprey/python" })
    }

    static func model(_ service: EndpointService, _ name: String) async throws {
        _ = try await service.createModel(
            json(#"{"ModelName": "\#(name)", "PrimaryContainer": {"Image": "osprey/python", "ModelDataUrl": "s3://b/\#(name).tar.gz"}}"#),
            accountId: account)
    }

    static func config(_ service: EndpointService, _ name: String, model: String = "m", count: Int = 1) async throws {
        _ = try await service.createEndpointConfig(
            json(
                #"{"EndpointConfigName": "\#(name)", "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "\#(model)", "#
                    + #""InitialInstanceCount": \#(count)}]}"#),
            accountId: account)
    }

    static func create(_ service: EndpointService, _ name: String, config: String) async throws -> Endpoint {
        try await service.createEndpoint(json(#"{"EndpointName": "\#(name)", "EndpointConfigName": "\#(config)"}"#), accountId: account)
    }

    /// Waits (at most 5 s) until the endpoint satisfies `condition`; returns it (nil when it is gone).
    static func eventually(
        _ service: EndpointService, _ name: String, _ condition: @escaping (Endpoint?) -> Bool
    ) async throws -> Endpoint? {
        // Generous: it returns as soon as the condition holds, and the full test run (end-to-end suites beside these on
        // 2 cores) has delayed a deletion by more than 5 s.
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let endpoint = try? await service.endpoint(name: name, accountId: account)
            if condition(endpoint) || ContinuousClock.now > deadline { return endpoint }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    static func errorMessage(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch {
            return (error as? OspreyError).map { "\($0.code): \($0.message)" } ?? "\(error)"
        }
    }

    @Test func createDeploysAndEndsInService() async throws {
        try await Self.withService { service, runtime, store in
            try await Self.model(service, "m")
            try await Self.config(service, "c1", count: 2)
            let created = try await Self.create(service, "ep", config: "c1")
            #expect(created.status == .creating && created.arn == "arn:aws:sagemaker:us-east-1:\(Self.account):endpoint/ep")
            let serving = try #require(try await Self.eventually(service, "ep") { $0?.status == .inService })
            #expect(serving.status == .inService && serving.configName == "c1")
            #expect(serving.variants.map(\.currentInstanceCount) == [2] && serving.deployed?.config.name == "c1")
            #expect(serving.lastModifiedTime > created.lastModifiedTime)
            #expect(await runtime.calls == ["deploy ep c1 models=m"])
            let events = try await store.events(after: 0, accountId: Self.account, limit: 10).map(\.event)
            #expect(
                events.filter { $0.type == "SageMaker Endpoint State Change" }.map { Self.json($0.detail)["EndpointStatus"] }
                    == [.string("Creating"), .string("InService")])
            #expect(events.map(\.type).prefix(2) == ["SageMaker Model State Change", "SageMaker Endpoint Config State Change"])
        }
    }

    @Test func aFailedDeploymentFailsTheEndpointWithItsReason() async throws {
        try await Self.withService { service, runtime, _ in
            try await Self.model(service, "m")
            try await Self.config(service, "broken")
            await runtime.script("broken", .fail("model.tar.gz could not be extracted: not a gzip archive"))
            _ = try await Self.create(service, "ep", config: "broken")
            let failed = try #require(try await Self.eventually(service, "ep") { $0?.status == .failed })
            #expect(failed.status == .failed && failed.failureReason == "model.tar.gz could not be extracted: not a gzip archive")
            let update = Self.json(#"{"EndpointName": "ep", "EndpointConfigName": "broken"}"#)
            #expect(
                await Self.errorMessage { _ = try await service.updateEndpoint(update, accountId: Self.account) }
                    == "ValidationException: Cannot update failed endpoint \"\(failed.arn)\".")
        }
    }

    @Test func anUpdateIsUpdatingAtOnceThenServesTheNewConfiguration() async throws {
        try await Self.withService { service, runtime, _ in
            try await Self.model(service, "m")
            try await Self.model(service, "m2")
            try await Self.config(service, "c1")
            try await Self.config(service, "c2", model: "m2", count: 3)
            _ = try await Self.create(service, "ep", config: "c1")
            _ = try await Self.eventually(service, "ep") { $0?.status == .inService }
            await runtime.script("c2", .hold)
            let updating = try await service.updateEndpoint(
                Self.json(#"{"EndpointName": "ep", "EndpointConfigName": "c2"}"#), accountId: Self.account)
            #expect(updating.status == .updating && updating.configName == "c1" && updating.pendingConfigName == "c2")
            let again = Self.json(#"{"EndpointName": "ep", "EndpointConfigName": "c1"}"#)
            #expect(
                await Self.errorMessage { _ = try await service.updateEndpoint(again, accountId: Self.account) }
                    == "ValidationException: Cannot update in-progress endpoint \"\(updating.arn)\".")
            #expect(try await service.endpoint(name: "ep", accountId: Self.account).status == .updating)
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await service.endpoint(name: "ep", accountId: Self.account).status == .updating)
            await runtime.release("c2")
            let done = try #require(try await Self.eventually(service, "ep") { $0?.status == .inService })
            #expect(done.configName == "c2" && done.pendingConfigName == nil && done.variants.map(\.currentInstanceCount) == [3])
            #expect(done.variants.map(\.modelName) == ["m2"] && done.deployed?.models.map(\.name) == ["m2"])
            #expect(await runtime.calls.last == "deploy ep c2 models=m2")
        }
    }

    @Test func aFailedOrRolledBackUpdateServesTheOldConfiguration() async throws {
        try await Self.withService { service, runtime, store in
            try await Self.model(service, "m")
            try await Self.config(service, "c1")
            try await Self.config(service, "bad")
            try await Self.config(service, "alarming")
            _ = try await Self.create(service, "ep", config: "c1")
            _ = try await Self.eventually(service, "ep") { $0?.status == .inService }
            await runtime.script("bad", .fail("variant AllTraffic did not start"))
            await runtime.script("alarming", .rollBack("alarm ModelErrorRate:5 fired: 12% of requests failed"))

            _ = try await service.updateEndpoint(Self.json(#"{"EndpointName": "ep", "EndpointConfigName": "bad"}"#), accountId: Self.account)
            var endpoint = try #require(try await Self.eventually(service, "ep") { $0?.status == .inService })
            #expect(endpoint.configName == "c1" && endpoint.failureReason == nil && endpoint.pendingConfigName == nil)

            let config = Self.json(
                #"{"EndpointName": "ep", "EndpointConfigName": "alarming", "DeploymentConfig": "#
                    + #"{"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "ModelErrorRate:5"}]}}}"#)
            _ = try await service.updateEndpoint(config, accountId: Self.account)
            endpoint = try #require(try await Self.eventually(service, "ep") { $0?.status == .inService })
            #expect(endpoint.configName == "c1" && endpoint.failureReason == nil)
            #expect(endpoint.deployment?.alarms == [.modelErrorRate(percent: 5)])

            let details = try await store.events(after: 0, accountId: Self.account, limit: 50).map(\.event)
                .filter { $0.type == "SageMaker Endpoint State Change" }.map { Self.json($0.detail) }
            #expect(
                details.map { $0["EndpointStatus"]?.stringValue ?? "" }
                    == ["Creating", "InService", "Updating", "InService", "Updating", "RollingBack", "InService"])
            #expect(details[3]["FailureReason"] == .string("variant AllTraffic did not start"))
            #expect(details[5]["FailureReason"] == .string("alarm ModelErrorRate:5 fired: 12% of requests failed"))
            #expect(details[6]["EndpointConfigName"] == .string("c1"))
        }
    }

    @Test func weightsAndCapacitiesChangeThroughTheRuntime() async throws {
        try await Self.withService { service, runtime, _ in
            try await Self.model(service, "m")
            try await Self.config(service, "c1")
            _ = try await Self.create(service, "ep", config: "c1")
            _ = try await Self.eventually(service, "ep") { $0?.status == .inService }
            let request = Self.json(
                #"{"EndpointName": "ep", "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredWeight": 2, "#
                    + #""DesiredInstanceCount": 2}]}"#)
            let updating = try await service.updateWeightsAndCapacities(request, accountId: Self.account)
            #expect(updating.status == .updating && updating.variants[0].desiredWeight == 2 && updating.variants[0].currentWeight == 1)
            let done = try #require(try await Self.eventually(service, "ep") { $0?.status == .inService })
            #expect(done.variants[0].currentWeight == 2 && done.variants[0].currentInstanceCount == 2)
            #expect(await runtime.calls.last == "weights ep AllTraffic=2.0")
        }
    }

    @Test func deleteCancelsTheDeploymentUndeploysAndRemoves() async throws {
        try await Self.withService { service, runtime, store in
            try await Self.model(service, "m")
            try await Self.config(service, "slow")
            await runtime.script("slow", .hold)
            _ = try await Self.create(service, "ep", config: "slow")
            try await service.deleteEndpoint(name: "ep", accountId: Self.account)
            #expect(try await service.endpoint(name: "ep", accountId: Self.account).status == .deleting)
            let gone = try await Self.eventually(service, "ep") { $0 == nil }
            #expect(gone == nil)
            await runtime.release("slow")
            #expect(await runtime.calls == ["deploy ep slow models=m", "undeploy ep"])
            let statuses = try await store.events(after: 0, accountId: Self.account, limit: 50).map(\.event)
                .filter { $0.type == "SageMaker Endpoint State Change" }.map { Self.json($0.detail)["EndpointStatus"]?.stringValue ?? "" }
            #expect(statuses == ["Creating", "Deleting", "Deleted"])
            #expect(
                await Self.errorMessage { try await service.deleteEndpoint(name: "ep", accountId: Self.account) }
                    == "ValidationException: Could not find endpoint \"arn:aws:sagemaker:us-east-1:\(Self.account):endpoint/ep\".")
            // Deleting a model or configuration in use is allowed.
            try await service.deleteEndpointConfig(name: "slow", accountId: Self.account)
            try await service.deleteModel(name: "m", accountId: Self.account)
        }
    }

    @Test func recoveryAfterARestartFinishesEveryEndpoint() async throws {
        try await Self.withService { service, runtime, store in
            try await Self.model(service, "m")
            try await Self.config(service, "c1")
            try await Self.config(service, "c2")
            for name in ["serving", "updating", "deleting", "orphan"] {
                _ = try await Self.create(service, name, config: "c1")
                _ = try await Self.eventually(service, name) { $0?.status == .inService }
            }
            await runtime.script("c2", .hold)
            _ = try await service.updateEndpoint(Self.json(#"{"EndpointName": "updating", "EndpointConfigName": "c2"}"#), accountId: Self.account)
            // A server that stopped mid-way left: an endpoint Creating, one Updating, one Deleting, and one whose
            // configuration and model were deleted after it was deployed.
            let creating = try await Self.create(service, "creating", config: "c2")
            var deleting = try await service.endpoint(name: "deleting", accountId: Self.account)
            let modified = deleting.lastModifiedTime
            deleting = try EndpointLifecycle.apply(.deleteRequested, to: deleting, at: modified.addingTimeInterval(1))
            #expect(try await store.updateEndpoint(deleting, expectedModified: modified, event: nil))
            try await Self.config(service, "c3")
            _ = try await service.updateEndpoint(Self.json(#"{"EndpointName": "orphan", "EndpointConfigName": "c3"}"#), accountId: Self.account)
            _ = try await Self.eventually(service, "orphan") { $0?.configName == "c3" }
            try await service.deleteEndpointConfig(name: "c3", accountId: Self.account)
            #expect(creating.status == .creating)

            let restarted = Self.service(store, runtime)
            await runtime.script("c2", .succeed)
            await restarted.recoverAfterRestart()
            let recovered = try #require(try await Self.eventually(restarted, "creating") { $0?.status == .inService })
            #expect(recovered.configName == "c2")
            let updated = try #require(try await Self.eventually(restarted, "updating") { $0?.status == .inService })
            #expect(updated.configName == "c1" && updated.pendingConfigName == nil && updated.failureReason == nil)
            #expect(try await Self.eventually(restarted, "deleting") { $0 == nil } == nil)
            #expect(try await Self.eventually(restarted, "orphan") { $0?.status == .inService }?.configName == "c3")
            #expect(try await restarted.endpoint(name: "serving", accountId: Self.account).status == .inService)
            let calls = await runtime.calls
            for expected in ["deploy serving c1 models=m", "deploy updating c1 models=m", "deploy orphan c3 models=m", "deploy creating c2 models=m"]
            {
                #expect(calls.filter { $0 == expected }.count >= 1, "\(expected) in \(calls)")
            }
            #expect(calls.contains("undeploy deleting"))
            defer { Task { await runtime.release("c2") } }
            let restartEvent = try await store.events(after: 0, accountId: Self.account, limit: 100).map(\.event)
                .last { $0.resource.hasSuffix("endpoint/updating") }
            #expect(restartEvent.map { Self.json($0.detail)["FailureReason"]?.stringValue?.contains("restarted") == true } == true)
        }
    }

    @Test func badRequestsAreRefusedWithSageMakersMessagesAndCreateNothing() async throws {
        try await Self.withService { service, _, store in
            let arn = "arn:aws:sagemaker:us-east-1:\(Self.account)"
            try await Self.model(service, "m")
            #expect(
                await Self.errorMessage { try await Self.model(service, "m") }
                    == "ValidationException: Cannot create already existing model \"\(arn):model/m\".")
            #expect(
                await Self.errorMessage { try await Self.model(service, "M") }
                    == "ValidationException: Cannot create already existing model \"\(arn):model/m\".")
            let unknownImage = await Self.errorMessage {
                _ = try await service.createModel(
                    Self.json(#"{"ModelName": "x", "PrimaryContainer": {"Image": "nginx:latest"}}"#), accountId: Self.account)
            }
            #expect(
                unknownImage == "ValidationException: Osprey does not know the image 'nginx:latest' (PrimaryContainer.Image); "
                    + "`osprey images list` shows the images it runs.")
            #expect(
                await Self.errorMessage { try await Self.config(service, "c", model: "ghost") }
                    == "ValidationException: Could not find model \"\(arn):model/ghost\".")
            try await Self.config(service, "c")
            #expect(
                await Self.errorMessage { try await Self.config(service, "c") }
                    == "ValidationException: Cannot create already existing endpoint configuration \"\(arn):endpoint-config/c\".")
            #expect(
                await Self.errorMessage { _ = try await Self.create(service, "ep", config: "nope") }
                    == "ValidationException: Could not find endpoint configuration \"\(arn):endpoint-config/nope\".")
            let alarm = Self.json(
                #"{"EndpointName": "ep", "EndpointConfigName": "c", "DeploymentConfig": {"AutoRollbackConfiguration": "#
                    + #"{"Alarms": [{"AlarmName": "HighCPU"}]}}}"#)
            #expect(
                await Self.errorMessage { _ = try await service.createEndpoint(alarm, accountId: Self.account) }?.contains("ModelLatencyP99") == true)
            _ = try await Self.create(service, "ep", config: "c")
            #expect(
                await Self.errorMessage { _ = try await Self.create(service, "ep", config: "c") }
                    == "ValidationException: Cannot create already existing endpoint \"\(arn):endpoint/ep\".")
            #expect(
                await Self.errorMessage { _ = try await service.model(name: "ghost", accountId: Self.account) }
                    == "ValidationException: Could not find model \"\(arn):model/ghost\".")
            #expect(try await store.models(ServingQuery(accountId: Self.account)).map(\.name) == ["m"])
            #expect(try await store.endpointConfigs(ServingQuery(accountId: Self.account)).map(\.name) == ["c"])
            #expect(try await store.endpoints(ServingQuery(accountId: Self.account)).map(\.name) == ["ep"])
        }
    }

    @Test func tagsOfModelsConfigsAndEndpoints() async throws {
        try await Self.withService { service, _, _ in
            let model = try await service.createModel(
                Self.json(#"{"ModelName": "m", "PrimaryContainer": {"Image": "osprey/python"}, "Tags": [{"Key": "team", "Value": "ml"}]}"#),
                accountId: Self.account)
            #expect(EndpointService.handlesTags(of: model.arn))
            #expect(!EndpointService.handlesTags(of: "arn:aws:sagemaker:us-east-1:\(Self.account):training-job/m"))
            #expect(try await service.tags(arn: model.arn, accountId: Self.account) == ["team": "ml"])
            try await service.updateTags(arn: model.arn, accountId: Self.account, set: ["env": "dev"], remove: ["team"])
            #expect(try await service.tags(arn: model.arn, accountId: Self.account) == ["env": "dev"])
            #expect(try await service.model(name: "m", accountId: Self.account).tags == ["env": "dev"])
            #expect(
                await Self.errorMessage { _ = try await service.tags(arn: model.arn, accountId: "222222222222") }?
                    .hasPrefix("ResourceNotFound") == true)
            let many = Dictionary(uniqueKeysWithValues: (0..<50).map { ("k\($0)", "v") })
            #expect(
                await Self.errorMessage { try await service.updateTags(arn: model.arn, accountId: Self.account, set: many, remove: []) }?
                    .hasPrefix("ResourceLimitExceeded") == true)
        }
    }
}
