import Foundation
import OspreyCore

/// Training jobs (`StoredJob`).
extension SQLMetadataStore {
    public func insertTrainingJob(_ job: TrainingJob, event: NewEvent) async throws {
        try await insertJob(job, event: event)
    }

    public func trainingJob(name: String, accountId: String) async throws -> TrainingJob? {
        try await job(TrainingJob.self, name: name, accountId: accountId)
    }

    public func updateTrainingJob(_ job: TrainingJob, expectedModified: Date, event: NewEvent?) async throws -> Bool {
        try await updateJob(job, expectedModified: expectedModified, event: event)
    }

    public func trainingJobs(_ query: TrainingJobQuery) async throws -> [TrainingJob] {
        try await jobs(query)
    }

    public func unfinishedTrainingJobs() async throws -> [TrainingJob] {
        try await unfinishedJobs(TrainingJob.self)
    }
}
