import Foundation
import OspreyCore
import Testing

@testable import OspreyStore

@Suite("Serving store")
struct ServingStoreTests {
    static func arn(_ kind: String, _ name: String, account: String = account) -> String {
        "arn:aws:sagemaker:us-east-1:\(account):\(kind)/\(name.lowercased())"
    }

    static func model(_ name: String, account: String = account, created: Int64, tags: [String: String] = [:]) -> ModelRecord {
        ModelRecord(
            name: name, accountId: account, arn: arn("model", name, account: account),
            request: .object(["ModelName": .string(name), "PrimaryContainer": .object(["Image": .string("osprey/python")])]),
            creationTime: time(created),
            containers: [ModelContainer(image: "osprey/python", modelData: ModelData(uri: "s3://b/m.tar.gz", isArchive: true, isPrefix: false))],
            tags: tags)
    }

    static func config(_ name: String, created: Int64) -> EndpointConfigRecord {
        EndpointConfigRecord(
            name: name, accountId: account, arn: arn("endpoint-config", name), request: .object(["EndpointConfigName": .string(name)]),
            creationTime: time(created), variants: [VariantSpec(name: "AllTraffic", modelName: "m", instanceCount: 1, weight: 1)])
    }

    static func endpoint(_ name: String, created: Int64) -> Endpoint {
        Endpoint(
            name: name, accountId: account, arn: arn("endpoint", name), config: config("c", created: 0),
            deployment: DeploymentPolicy(alarms: [.modelErrorRate(percent: 5)]), creationTime: time(created), tags: ["team": "ml"])
    }

    static func event(_ resource: String) -> NewEvent {
        NewEvent(type: "SageMaker Endpoint State Change", accountId: account, resource: resource, detail: "{}", time: time(1))
    }

    @Test(arguments: Backend.all)
    func modelsAndConfigsRoundTripListAndDelete(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let first = Self.model("alpha-model", created: 10, tags: ["team": "ml"])
            try await store.insertModel(first, event: Self.event("a"))
            try await store.insertModel(Self.model("Beta-Model", created: 20), event: Self.event("b"))
            try await store.insertModel(Self.model("gamma", created: 30), event: Self.event("c"))
            try await store.insertModel(Self.model("alpha-model", account: otherAccount, created: 40), event: Self.event("x"))
            await expectError(.alreadyExists) { try await store.insertModel(first, event: Self.event("a")) }
            // The ARN lowercases the name: names differing only in case cannot both exist.
            await expectError(.alreadyExists) { try await store.insertModel(Self.model("ALPHA-model", created: 50), event: Self.event("a")) }
            #expect(try await store.model(name: "alpha-model", accountId: account) == first)
            #expect(try await store.model(name: "nope", accountId: account) == nil)

            var query = ServingQuery(accountId: account)
            #expect(try await store.models(query).map(\.name) == ["gamma", "Beta-Model", "alpha-model"])
            query.nameContains = "MODEL"
            #expect(try await store.models(query).map(\.name) == ["Beta-Model", "alpha-model"])
            query.nameContains = "%"
            #expect(try await store.models(query).isEmpty)
            query = ServingQuery(accountId: account)
            query.sortBy = .name
            query.descending = false
            #expect(try await store.models(query).map(\.name) == ["Beta-Model", "alpha-model", "gamma"])  // byte order
            query.offset = 1
            query.limit = 1
            #expect(try await store.models(query).map(\.name) == ["alpha-model"])
            query = ServingQuery(accountId: account)
            query.creationAfter = time(10)
            query.creationBefore = time(30)
            #expect(try await store.models(query).map(\.name) == ["Beta-Model"])

            #expect(try await store.deleteModel(name: "gamma", accountId: account, event: Self.event("c")))
            #expect(try await store.deleteModel(name: "gamma", accountId: account, event: Self.event("c")) == false)
            #expect(try await store.model(name: "gamma", accountId: account) == nil)

            let config = Self.config("cfg", created: 5)
            try await store.insertEndpointConfig(config, event: Self.event("cfg"))
            await expectError(.alreadyExists) { try await store.insertEndpointConfig(config, event: Self.event("cfg")) }
            #expect(try await store.endpointConfig(name: "cfg", accountId: account) == config)
            #expect(try await store.endpointConfigs(ServingQuery(accountId: account)).map(\.name) == ["cfg"])
            #expect(try await store.endpointConfigs(ServingQuery(accountId: otherAccount)).isEmpty)
            #expect(try await store.deleteEndpointConfig(name: "cfg", accountId: account, event: Self.event("cfg")))
            #expect(try await store.endpointConfig(name: "cfg", accountId: account) == nil)

            // Four model inserts, one config insert, two deletes (the test's events all name one account); failed inserts and
            // deletes wrote nothing.
            #expect(try await store.events(after: 0, accountId: account, limit: 20).count == 7)
        }
    }

    @Test(arguments: Backend.all)
    func endpointsUpdateWithOptimisticConcurrencyAndList(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let created = Self.endpoint("ep-one", created: 10)
            try await store.insertEndpoint(created, event: Self.event("1"))
            try await store.insertEndpoint(Self.endpoint("ep-two", created: 20), event: Self.event("2"))
            await expectError(.alreadyExists) { try await store.insertEndpoint(created, event: Self.event("1")) }
            #expect(try await store.endpoint(name: "ep-one", accountId: account) == created)

            let serving = try EndpointLifecycle.apply(.deployed(snapshot: nil), to: created, at: time(30))
            #expect(try await store.updateEndpoint(serving, expectedModified: created.lastModifiedTime, event: Self.event("1")))
            // A writer that read the endpoint before that update loses, and writes no event.
            let failed = try EndpointLifecycle.apply(.failed(reason: "late"), to: created, at: time(31))
            #expect(try await store.updateEndpoint(failed, expectedModified: created.lastModifiedTime, event: Self.event("1")) == false)
            let stored = try #require(try await store.endpoint(name: "ep-one", accountId: account))
            #expect(
                stored.status == .inService && stored.variants[0].currentWeight == 1 && stored.deployment?.alarms == [.modelErrorRate(percent: 5)])

            var query = ServingQuery(accountId: account)
            query.status = .inService
            #expect(try await store.endpoints(query).map(\.name) == ["ep-one"])
            query = ServingQuery(accountId: account)
            query.sortBy = .status
            query.descending = false
            #expect(try await store.endpoints(query).map(\.name) == ["ep-two", "ep-one"])  // Creating < InService
            query = ServingQuery(accountId: account)
            query.modifiedAfter = time(25)
            #expect(try await store.endpoints(query).map(\.name) == ["ep-one"])
            #expect(try await store.allEndpoints().map(\.name) == ["ep-one", "ep-two"])

            let deleting = try EndpointLifecycle.apply(.deleteRequested, to: stored, at: time(40))
            #expect(try await store.updateEndpoint(deleting, expectedModified: stored.lastModifiedTime, event: Self.event("1")))
            let stale = try await store.deleteEndpoint(
                name: "ep-one", accountId: account, expectedModified: stored.lastModifiedTime, event: Self.event("1"))
            #expect(stale == false)
            #expect(try await store.deleteEndpoint(name: "ep-one", accountId: account, expectedModified: time(40), event: Self.event("1")))
            #expect(try await store.endpoint(name: "ep-one", accountId: account) == nil)
            // Two inserts, two updates, one delete.
            #expect(try await store.events(after: 0, accountId: account, limit: 20).count == 5)
        }
    }

    @Test(arguments: Backend.all)
    func tagsChangeBesideTheRecordWithinTheirLimit(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let endpoint = Self.endpoint("tagged", created: 1)
            try await store.insertEndpoint(endpoint, event: Self.event("t"))
            try await store.insertModel(Self.model("m", created: 1), event: Self.event("m"))
            #expect(try await store.servingTags(arn: endpoint.arn, accountId: account) == ["team": "ml"])
            #expect(try await store.servingTags(arn: endpoint.arn, accountId: otherAccount) == nil)
            #expect(try await store.servingTags(arn: Self.arn("model", "m"), accountId: account) == [:])

            let tags = try await store.updateServingTags(arn: endpoint.arn, accountId: account, set: ["env": "prod"], remove: ["team"], limit: 3)
            #expect(tags == ["env": "prod"])
            // A status change written from a copy read before the tag change keeps the new tags.
            let serving = try EndpointLifecycle.apply(.deployed(snapshot: nil), to: endpoint, at: time(5))
            #expect(try await store.updateEndpoint(serving, expectedModified: endpoint.lastModifiedTime, event: nil))
            #expect(try await store.endpoint(name: "tagged", accountId: account)?.tags == ["env": "prod"])

            await expectError(.limitExceeded) {
                _ = try await store.updateServingTags(
                    arn: endpoint.arn, accountId: account, set: ["a": "1", "b": "2", "c": "3"], remove: [], limit: 3)
            }
            #expect(try await store.servingTags(arn: endpoint.arn, accountId: account) == ["env": "prod"])
            #expect(
                try await store.updateServingTags(arn: Self.arn("model", "nope"), accountId: account, set: ["a": "b"], remove: [], limit: 3) == nil)
            #expect(
                try await store.updateServingTags(arn: Self.arn("model", "m"), accountId: account, set: ["a": "b"], remove: [], limit: 3) == [
                    "a": "b"
                ])
            #expect(try await store.model(name: "m", accountId: account)?.tags == ["a": "b"])
        }
    }
}
