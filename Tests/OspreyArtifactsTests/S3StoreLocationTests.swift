import OspreyCore
import Testing

@testable import OspreyArtifacts

@Suite("S3 artifacts URL")
struct S3StoreLocationTests {
    @Test func everythingFromTheURL() throws {
        let location = try S3StoreLocation(
            url: "s3://artifacts/osprey/prod/?endpoint=http://127.0.0.1:9000&region=eu-west-1"
                + "&access_key_id=AKID&secret_access_key=se+cr%2Fet&session_token=tok",
            environment: ["AWS_ACCESS_KEY_ID": "ignored", "AWS_SECRET_ACCESS_KEY": "ignored", "AWS_REGION": "ignored"]
        )
        #expect(location.bucket == "artifacts")
        #expect(location.prefix == "osprey/prod")
        #expect(location.endpoint == "http://127.0.0.1:9000")
        #expect(location.region == "eu-west-1")
        #expect(location.accessKeyId == "AKID")
        #expect(location.secretAccessKey == "se+cr/et", "+ stays literal: secrets contain it")
        #expect(location.sessionToken == "tok")
    }

    @Test func restFromTheEnvironment() throws {
        let location = try S3StoreLocation(
            url: "s3://bucket",
            environment: [
                "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "t",
                "AWS_DEFAULT_REGION": "ap-south-1", "AWS_ENDPOINT_URL": "http://localhost:8080",
            ]
        )
        #expect(location.bucket == "bucket")
        #expect(location.prefix == "")
        #expect(location.region == "ap-south-1")
        #expect(location.endpoint == "http://localhost:8080")
        #expect(location.accessKeyId == "id")
        #expect(location.secretAccessKey == "secret")
        #expect(location.sessionToken == "t")
        let preferred = try S3StoreLocation(
            url: "s3://bucket/",
            environment: [
                "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "x",
                "AWS_ENDPOINT_URL_S3": "http://s3only:1", "AWS_ENDPOINT_URL": "http://all:2",
            ]
        )
        #expect(preferred.region == "us-west-2")
        #expect(preferred.endpoint == "http://s3only:1")
    }

    @Test func defaults() throws {
        let location = try S3StoreLocation(url: "s3://b/p", environment: ["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "s"])
        #expect(location.region == "us-east-1")
        #expect(location.endpoint == "https://s3.us-east-1.amazonaws.com")
        #expect(location.sessionToken == nil)
    }

    @Test(arguments: [
        "file:/tmp/x", "s3://", "s3:///prefix", "s3://b?access_key_id=only", "s3://b?secret_access_key=only",
        "s3://b?endpoint=http://h:1&acces_key_id=typo&secret_access_key=s", "s3://b",
    ])
    func refused(url: String) throws {
        let error = #expect(throws: OspreyError.self) { try S3StoreLocation(url: url, environment: [:]) }
        #expect(error?.code == .validation)
        #expect(error?.message.contains("only") == false, "the URL, which may hold a secret, is never echoed")
    }

    @Test func storeValidatesItsPrefixAndEndpoint() throws {
        let credentials = "access_key_id=a&secret_access_key=s"
        let store = try S3ArtifactStore(url: "s3://b/models/v1?endpoint=http://h:1&\(credentials)", environment: [:])
        #expect(store.bucket == "b")
        #expect(store.prefix == "models/v1")
        #expect(try store.objectKey("x/y") == "models/v1/x/y")
        #expect(try S3ArtifactStore(url: "s3://b?endpoint=http://h:1&\(credentials)", environment: [:]).objectKey("k") == "k")
        for url in [
            "s3://b/a/../b?endpoint=http://h:1&\(credentials)", "s3://b/a//b?endpoint=http://h:1&\(credentials)",
            "s3://b/%2E%2E?endpoint=http://h:1&\(credentials)", "s3://b/p?endpoint=h:1&\(credentials)",
        ] {
            #expect(throws: OspreyError.self, "\(url)") { try S3ArtifactStore(url: url, environment: [:]) }
        }
    }
}
