import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OspreyCore
import Testing

@testable import OspreyServer

/// `/api/v1/images` and `/api/v1/training-jobs/{name}/metrics` on the in-process responder over a real SQLite store.
@Suite struct ImagesAndMetricsAdapterTests {
    static let team = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-team/*"
    static var escapedTeam: String { team.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? team }

    static func post(_ json: String, secret: String = AdapterTests.secret) -> (HTTPFields, ByteBuffer) {
        ([.authorization: "Bearer \(secret)", .contentType: "application/json"], ByteBuffer(string: json))
    }

    static func images(_ response: TestResponse) -> [[String: Any]] {
        SecretsAdapterTests.json(response)["images"] as? [[String: Any]] ?? []
    }

    @Test func adminsAddAndRemoveMappingsEveryKeyLists() async throws {
        try await SecretsAdapterTests.withServer { client, _ in
            try await client.execute(uri: "/api/v1/images", method: .get, headers: AdapterTests.bearer) { response in
                #expect(response.status == .ok)
                let listed = Self.images(response)
                #expect(listed.first?["image"] as? String == "osprey/python[:tag]")
                #expect(listed.count == 4 && listed.allSatisfy { $0["builtin"] as? Bool == true })
            }
            let (headers, body) = Self.post(#"{"pattern": "\#(Self.team)", "packages": ["scikit-learn==1.5.*", "pandas"]}"#)
            try await client.execute(uri: "/api/v1/images", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .created)
                let added = SecretsAdapterTests.json(response)
                #expect(added["image"] as? String == Self.team && added["environment"] as? String == "my-team")
                #expect(added["packageList"] as? [String] == ["scikit-learn==1.5.*", "pandas"] && added["builtin"] as? Bool == false)
            }
            try await client.execute(uri: "/api/v1/images", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .conflict)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(SecretsAdapterTests.json(response)["title"] as? String == "ResourceInUse")
            }
            for bad in [#"{"pattern": "x/y", "packages": ["a; rm -rf /"]}"#, #"{"pattern": "x/y"}"#, #"{"packages": ["a"]}"#, "[]",
                #"{"pattern": "x/y", "packages": "pandas"}"#, #"{"pattern": "x/y", "python": "relative/python"}"#,
                #"{"pattern": "x/y", "packages": ["pandas"], "name": 5}"#]
            {
                let (headers, body) = Self.post(bad)
                try await client.execute(uri: "/api/v1/images", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                    #expect(SecretsAdapterTests.json(response)["title"] as? String == "ValidationException", "\(bad)")
                }
            }

            // A key that is not an admin lists, but may neither add nor remove.
            let created = try await client.execute(
                uri: "/api/v1/keys", method: .post, headers: AdapterTests.bearer, body: ByteBuffer(string: #"{"description":"user"}"#)
            ) { SecretsAdapterTests.json($0) }
            let userSecret = try #require(created["secretAccessKey"] as? String)
            let user: HTTPFields = [.authorization: "Bearer \(userSecret)"]
            let (userHeaders, userBody) = Self.post(#"{"pattern": "other/*", "packages": ["pandas"]}"#, secret: userSecret)
            try await client.execute(uri: "/api/v1/images", method: .post, headers: userHeaders, body: userBody) { response in
                #expect(response.status == .forbidden)
                #expect(SecretsAdapterTests.json(response)["title"] as? String == "AccessDenied")
            }
            try await client.execute(uri: "/api/v1/images/\(Self.escapedTeam)", method: .delete, headers: user) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/images", method: .get, headers: user) { response in
                let listed = Self.images(response)
                #expect(listed.first?["image"] as? String == Self.team && listed.first?["builtin"] as? Bool == false)
                #expect(listed.count == 5)
            }
            try await client.execute(uri: "/api/v1/images", method: .post, headers: [:], body: body) { #expect($0.status == .unauthorized) }

            try await client.execute(uri: "/api/v1/images/\(Self.escapedTeam)", method: .delete, headers: AdapterTests.bearer) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/images/\(Self.escapedTeam)", method: .delete, headers: AdapterTests.bearer) { response in
                #expect(response.status == .notFound)
                #expect(SecretsAdapterTests.json(response)["status"] as? Int == 404)
            }
            try await client.execute(uri: "/api/v1/images", method: .get, headers: AdapterTests.bearer) { #expect(Self.images($0).count == 4) }
            // JSON null reads as absent.
            let (nullHeaders, nullBody) = Self.post(#"{"pattern": "n/y:*", "packages": ["pandas"], "python": null, "name": null}"#)
            try await client.execute(uri: "/api/v1/images", method: .post, headers: nullHeaders, body: nullBody) { response in
                #expect(response.status == .created)
                #expect(SecretsAdapterTests.json(response)["environment"] as? String == "n-y")
            }
        }
    }

    @Test func metricSeriesOfAJob() async throws {
        try await SecretsAdapterTests.withServer { client, parts in
            let account = Deployment.rootAccount
            let job = TrainingJob(
                name: "series-job", accountId: account, arn: "arn:aws:sagemaker:us-east-1:\(account):training-job/series-job",
                request: .object([:]), creationTime: Date(timeIntervalSince1970: 1_760_000_000))
            try await parts.store.insertTrainingJob(
                job, event: NewEvent(type: "t", accountId: account, resource: job.arn, detail: "{}", time: job.creationTime))
            let stream = "series-job/algo-1-1760000000"
            try await parts.store.appendTrainingMetrics(
                accountId: account, jobName: "series-job",
                points: [
                    TrainingMetricPoint(metric: "loss", value: 0.5, timestamp: 1_760_000_001_250, stream: stream, offset: 0),
                    TrainingMetricPoint(metric: "loss", value: 0.25, timestamp: 1_760_000_002_000, stream: stream, offset: 20),
                    TrainingMetricPoint(metric: "acc", value: 0.9, timestamp: 1_760_000_002_000, stream: stream, offset: 20),
                    TrainingMetricPoint(metric: "train:loss", value: 1, timestamp: 1_760_000_002_000, stream: stream, offset: 20),
                ], limit: 100)

            try await client.execute(uri: "/api/v1/training-jobs/series-job/metrics", method: .get, headers: AdapterTests.bearer) { response in
                #expect(response.status == .ok)
                let metrics = SecretsAdapterTests.json(response)["metrics"] as? [String: [[String: Double]]]
                #expect(metrics?["loss"] == [["timestamp": 1_760_000_001.25, "value": 0.5], ["timestamp": 1_760_000_002, "value": 0.25]])
                #expect(metrics?["acc"] == [["timestamp": 1_760_000_002, "value": 0.9]])
                #expect(metrics?.count == 3)
            }
            try await client.execute(
                uri: "/api/v1/training-jobs/series-job/metrics?name=train%3Aloss", method: .get, headers: AdapterTests.bearer
            ) { #expect((SecretsAdapterTests.json($0)["metrics"] as? [String: Any]).map { Array($0.keys) } == ["train:loss"]) }
            try await client.execute(uri: "/api/v1/training-jobs/series-job/metrics?name=acc", method: .get, headers: AdapterTests.bearer) {
                #expect((SecretsAdapterTests.json($0)["metrics"] as? [String: Any]).map { Array($0.keys) } == ["acc"])
            }
            try await client.execute(uri: "/api/v1/training-jobs/no-such-job/metrics", method: .get, headers: AdapterTests.bearer) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect((SecretsAdapterTests.json(response)["detail"] as? String)?.contains("no-such-job") == true)
            }
            try await client.execute(uri: "/api/v1/training-jobs/series-job/metrics", method: .get) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func theOpenAPIDocumentDescribesTheRoutes() async throws {
        try await AdapterTests.withServer { client in
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
                let paths = (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["paths"] as? [String: Any]
                let images = paths?["/api/v1/images"] as? [String: Any]
                #expect(images?["get"] != nil && images?["post"] != nil)
                #expect((paths?["/api/v1/images/{pattern}"] as? [String: Any])?["delete"] != nil)
                #expect((paths?["/api/v1/training-jobs/{name}/metrics"] as? [String: Any])?["get"] != nil)
            }
        }
    }
}
