import NIOCore
import OspreyArtifacts
import OspreyCore
import Testing

extension AgainstOspreyServer {
    @Suite("S3ArtifactStore against osprey server")
    struct S3ArtifactStoreTests {
        /// A store in a fresh bucket under a prefix, made from an `s3://` URL; the bucket is emptied and deleted after `body`.
        func withStore(prefix: String = "artifacts/v1", _ body: (S3ArtifactStore) async throws -> Void) async throws {
            let server = try AgainstOspreyServer.server()
            let s3 = server.client()
            let bucket = AgainstOspreyServer.bucketName("store")
            try await s3.createBucket(bucket)
            let secret = OspreyTestServer.secretAccessKey.replacingOccurrences(of: "/", with: "%2F").replacingOccurrences(of: "+", with: "%2B")
            let url =
                "s3://\(bucket)/\(prefix)?endpoint=\(server.endpoint)&region=us-east-1"
                + "&access_key_id=\(OspreyTestServer.accessKeyId)&secret_access_key=\(secret)"
            let store = try S3ArtifactStore(url: url, environment: [:])
            var failure: (any Error)?
            do { try await body(store) } catch { failure = error }
            for object in try await s3.listObjects(bucket: bucket).objects { try await s3.deleteObject(bucket: bucket, key: object.key) }
            try await s3.deleteBucket(bucket)
            if let failure { throw failure }
        }

        @Test func writeThenRead() async throws { try await withStore { try await ArtifactStoreContract.writeThenRead($0) } }
        @Test func ranges() async throws { try await withStore { try await ArtifactStoreContract.ranges($0) } }
        @Test func copy() async throws { try await withStore { try await ArtifactStoreContract.copy($0) } }
        @Test func delete() async throws { try await withStore { try await ArtifactStoreContract.delete($0) } }
        @Test func keys() async throws { try await withStore { try await ArtifactStoreContract.keys($0) } }
        @Test func keysAtTheBucketRoot() async throws { try await withStore(prefix: "") { try await ArtifactStoreContract.keys($0) } }
        @Test func rejectsBadKeys() async throws { try await withStore { try await ArtifactStoreContract.rejectsBadKeys($0) } }
        @Test func failingBodyStoresNothing() async throws {
            try await withStore { try await ArtifactStoreContract.failingBodyStoresNothing($0) }
        }

        @Test func largeStreamedWrite() async throws {
            try await withStore { store in
                try await ArtifactStoreContract.largeStreamedWrite(store, bytes: 24 << 20, lengthKnown: false)
                try await ArtifactStoreContract.largeStreamedWrite(store, bytes: 8 << 20, lengthKnown: true)
            }
        }

        @Test func objectsLiveUnderThePrefix() async throws {
            try await withStore(prefix: "team/models") { store in
                try await store.write("m1/model.tar.gz", bytes: ByteBuffer(string: "m"))
                let listing = try await store.client.listObjects(bucket: store.bucket)
                #expect(listing.objects.map(\.key) == ["team/models/m1/model.tar.gz"])
                #expect(try await store.keys(prefix: "") == ["m1/model.tar.gz"])
            }
        }

        @Test func credentialsFromTheEnvironment() async throws {
            let server = try AgainstOspreyServer.server()
            let store = try S3ArtifactStore(
                url: "s3://no-such-bucket-\(UInt32.random(in: 0...UInt32.max))/p",
                environment: [
                    "AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": OspreyTestServer.accessKeyId,
                    "AWS_SECRET_ACCESS_KEY": OspreyTestServer.secretAccessKey,
                ]
            )
            #expect(try await store.size(of: "k") == nil)
            let error = await #expect(throws: OspreyError.self) { try await store.write("k", bytes: ByteBuffer(string: "v")) }
            #expect(error?.code == .noSuchBucket, "signed correctly, refused only for the missing bucket")
        }
    }
}
