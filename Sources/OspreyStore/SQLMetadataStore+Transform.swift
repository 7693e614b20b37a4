import Foundation
import OspreyCore

/// Transform jobs (`StoredJob`).
extension SQLMetadataStore {
    public func insertTransformJob(_ job: TransformJob, event: NewEvent) async throws {
        try await insertJob(job, event: event)
    }

    public func transformJob(name: String, accountId: String) async throws -> TransformJob? {
        try await job(TransformJob.self, name: name, accountId: accountId)
    }

    public func updateTransformJob(_ job: TransformJob, expectedModified: Date, event: NewEvent?) async throws -> Bool {
        try await updateJob(job, expectedModified: expectedModified, event: event)
    }

    public func transformJobs(_ query: TransformJobQuery) async throws -> [TransformJob] {
        try await jobs(query)
    }

    public func unfinishedTransformJobs() async throws -> [TransformJob] {
        try await unfinishedJobs(TransformJob.self)
    }
}
