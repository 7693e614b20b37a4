import Foundation
import OspreyCore

/// Background deployments and their outcomes, and bringing fleets back after a restart.
extension EndpointService {
    enum DeploymentKind: Sendable {
        case create
        case update
        case capacity
        /// Bringing back, after a restart, an endpoint that had this status.
        case recover(EndpointStatus)
    }

    /// Runs a deployment in a task of its own (cancelled when the endpoint is deleted), then records its outcome.
    func startDeployment(of endpoint: Endpoint, config: EndpointConfigRecord?, models: [ModelRecord]? = nil, kind: DeploymentKind) {
        nextDeploymentId += 1
        let id = nextDeploymentId
        let task = Task {
            let failure = await self.deploy(endpoint, config: config, models: models, kind: kind)
            await self.finish(endpoint, kind: kind, failure: failure, id: id)
        }
        deployments[key(endpoint.name, endpoint.accountId)] = (id, task)
    }

    /// Calls the runtime; returns what it deployed, or why it failed.
    private func deploy(_ endpoint: Endpoint, config: EndpointConfigRecord?, models: [ModelRecord]?, kind: DeploymentKind) async
        -> Result<ServingSnapshot?, OspreyError>
    {
        do {
            guard let config else {
                try await runtime.updateWeights(endpoint, variants: endpoint.variants)
                return .success(nil)
            }
            var deploying = models ?? []
            if models == nil { deploying = try await self.models(of: config) }
            let name = endpoint.name
            let account = endpoint.accountId
            let progress = DeploymentProgress { reason in await self.markRollingBack(name: name, accountId: account, reason: reason) }
            try await runtime.deploy(endpoint, config: config, models: deploying, progress: progress)
            return .success(ServingSnapshot(config: config, models: deploying))
        } catch let error as OspreyError {
            return .failure(error)
        } catch {
            return .failure(OspreyError(.internalError, "\(error)", cause: error))
        }
    }

    /// Moves the endpoint on from a deployment's outcome. Nothing happens for a deployment its endpoint's deletion cancelled.
    private func finish(_ endpoint: Endpoint, kind: DeploymentKind, failure outcome: Result<ServingSnapshot?, OspreyError>, id: Int) async {
        let key = key(endpoint.name, endpoint.accountId)
        if deployments[key]?.id == id { deployments[key] = nil }
        guard !Task.isCancelled else { return }
        var reason: String?
        let change: EndpointChange?
        switch (kind, outcome) {
        case (.create, .success(let snapshot)), (.update, .success(let snapshot)), (.capacity, .success(let snapshot)),
            (.recover(.creating), .success(let snapshot)):
            change = .deployed(snapshot: snapshot)
        case (.recover(.inService), .success):
            change = nil
        case (.recover, .success):
            change = .updateAbandoned
            reason =
                "The Osprey server restarted while the endpoint was updated to \(endpoint.pendingConfigName ?? "a new configuration"); "
                + "it serves its previous configuration \(endpoint.configName)."
        case (.update, .failure(let error)), (.capacity, .failure(let error)):
            change = .updateAbandoned
            reason = error.message
        case (.create, .failure(let error)), (.recover, .failure(let error)):
            change = .failed(reason: error.message)
        }
        if case .failure(let error) = outcome {
            logger.warning("Endpoint deployment failed", metadata: ["endpoint": "\(endpoint.name)", "error": "\(error)"])
        }
        guard let change else { return }
        do {
            try await apply(change, to: endpoint, reason: reason)
        } catch {
            logger.warning("Could not record an endpoint deployment's outcome", metadata: ["endpoint": "\(endpoint.name)", "error": "\(error)"])
        }
    }

    /// After a restart: every endpoint that served or was being deployed is deployed again on the configuration its record
    /// says is current (what it last deployed, kept in the record, when that configuration or its models were deleted since).
    /// Creating ends InService or Failed; an interrupted update ends InService on the previous configuration (with an event
    /// saying so) or Failed; Deleting endpoints are removed. Returns once the deployments have started.
    public func recoverAfterRestart() async {
        let endpoints: [Endpoint]
        do {
            endpoints = try await store.allEndpoints()
        } catch {
            logger.error("Could not read endpoints to recover them after a restart", metadata: ["error": "\(error)"])
            return
        }
        for endpoint in endpoints {
            switch endpoint.status {
            case .failed:
                continue
            case .deleting:
                Task { await self.finishDeleting(endpoint) }
            case .inService, .creating, .updating, .rollingBack:
                var serving = endpoint
                serving.pendingConfigName = nil
                serving.pendingVariants = nil
                serving.variants = endpoint.variants.map(\.reverted)
                if let snapshot = endpoint.deployed, endpoint.status != .creating {
                    startDeployment(of: serving, config: snapshot.config, models: snapshot.models, kind: .recover(endpoint.status))
                } else if let config = try? await store.endpointConfig(name: endpoint.configName, accountId: endpoint.accountId) {
                    startDeployment(of: serving, config: config, kind: .recover(endpoint.status))
                } else {
                    let reason =
                        "The endpoint configuration \(endpoint.configName) no longer exists; the endpoint could not be brought back "
                        + "after the Osprey server restarted."
                    _ = try? await apply(.failed(reason: reason), to: endpoint)
                }
            }
        }
    }
}
