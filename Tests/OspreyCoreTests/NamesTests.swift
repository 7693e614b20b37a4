import OspreyCore
import Testing

@Suite struct NamesTests {
    @Test(arguments: ["abc", "my-bucket", "my.bucket.1", "a1b", String(repeating: "a", count: 63)])
    func acceptsValidBuckets(_ name: String) throws {
        try Names.validateBucket(name)
    }

    @Test(arguments: [
        "ab", String(repeating: "a", count: 64), "Upper", "under_score", "-start", "end-", "two..dots", "192.168.1.1", "xn--abc",
        "bucket-s3alias", "healthz", "api", "metrics", "endpoints", "v2",
    ])
    func refusesInvalidBuckets(_ name: String) {
        #expect(throws: OspreyError.self) { try Names.validateBucket(name) }
        do { try Names.validateBucket(name) } catch let error as OspreyError {
            #expect(error.code == .invalidBucketName)
            #expect(error.message.contains(name))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func objectKeysAreOneTo1024Bytes() throws {
        try Names.validateObjectKey("a")
        try Names.validateObjectKey("../../etc/passwd")
        try Names.validateObjectKey(String(repeating: "é", count: 512))
        #expect(throws: OspreyError.self) { try Names.validateObjectKey("") }
        do { try Names.validateObjectKey(String(repeating: "x", count: 1025)) } catch let error as OspreyError {
            #expect(error.code == .keyTooLong)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(arguments: ["job", "a", "my-job-1", "a--b", String(repeating: "x", count: 63)])
    func acceptsResourceNames(_ name: String) throws {
        try Names.validateResourceName(name, field: "trainingJobName")
    }

    @Test(arguments: ["", "-a", "a-", "a_b", "a.b", String(repeating: "x", count: 64)])
    func refusesResourceNames(_ name: String) {
        do {
            try Names.validateResourceName(name, field: "trainingJobName")
            Issue.record("accepted \(name)")
        } catch let error as OspreyError {
            #expect(error.code == .validation)
            #expect(error.message.contains("trainingJobName"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func arnsNameRegionAndAccount() {
        let arn = Deployment(region: "eu-west-1").arn(account: Deployment.rootAccount, resource: "training-job/abc")
        #expect(arn == "arn:aws:sagemaker:eu-west-1:000000000000:training-job/abc")
    }

    @Test func errorsDescribeTheirCause() {
        struct Boom: Error {}
        let error = OspreyError(.internalError, "it broke", cause: Boom())
        #expect(error.description.contains("InternalFailure: it broke"))
        #expect(error.description.contains("Boom"))
    }
}
