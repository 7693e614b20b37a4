import Foundation
import OspreyCore
import SQLKit

/// A SageMaker job kept as a JSON document in its table, with the fields listings filter and sort on as columns
/// (`account_id`, `name`, `status`, `creation_time`, `last_modified_time`, `document`).
protocol StoredJob: Codable, Sendable {
    associatedtype Status: RawRepresentable & Sendable & Hashable where Status.RawValue == String
    static var table: String { get }
    /// "Training", "Transform": how messages name the job.
    static var kind: String { get }
    static var terminalStatuses: [Status] { get }
    var accountId: String { get }
    var name: String { get }
    var arn: String { get }
    var status: Status { get }
    var creationTime: Date { get }
    var lastModifiedTime: Date { get }
}

extension TrainingJob: StoredJob {
    static let table = "training_jobs"
    static let kind = "Training"
    static let terminalStatuses: [TrainingJobStatus] = [.completed, .failed, .stopped]
}

extension TransformJob: StoredJob {
    static let table = "transform_jobs"
    static let kind = "Transform"
    static let terminalStatuses: [TransformJobStatus] = [.completed, .failed, .stopped]
}

/// Training and transform jobs: one implementation over `StoredJob`.
extension SQLMetadataStore {
    static func job<Job: StoredJob>(_ row: any SQLRow) throws -> Job {
        try documentDecoder.decode(Job.self, from: Data(try row.decode(column: "document", as: String.self).utf8))
    }

    /// Throws `.alreadyExists` when the account has a job of that name.
    func insertJob<Job: StoredJob>(_ job: Job, event: NewEvent) async throws {
        let kind = Job.kind.lowercased()
        let conflict = OspreyError(
            .alreadyExists,
            "\(Job.kind) job names must be unique within an AWS account and region, and a \(kind) job with this name already exists (\(job.arn))"
        )
        let document = try Self.document(job)
        try await write("storing a \(kind) job", conflict: conflict) { database in
            try await database.raw(
                """
                INSERT INTO \(unsafeRaw: Job.table) (account_id, name, status, creation_time, last_modified_time, document) VALUES \
                (\(bind: job.accountId), \(bind: job.name), \(bind: job.status.rawValue), \(bind: job.creationTime.epochMilliseconds), \
                \(bind: job.lastModifiedTime.epochMilliseconds), \(bind: document))
                """
            ).run()
            try await self.insertEvent(event, on: database)
        }
    }

    func job<Job: StoredJob>(_ type: Job.Type, name: String, accountId: String) async throws -> Job? {
        try await read("reading a \(Job.kind.lowercased()) job") { database in
            try await database.select().column("document").from(Job.table)
                .where("account_id", .equal, accountId).where("name", .equal, name).first().map(Self.job)
        }
    }

    /// Replaces the stored job if it still has `expectedModified`; false (nothing changed) when another writer got there first.
    func updateJob<Job: StoredJob>(_ job: Job, expectedModified: Date, event: NewEvent?) async throws -> Bool {
        let document = try Self.document(job)
        return try await write("updating a \(Job.kind.lowercased()) job") { database in
            let updated =
                try await database.raw(
                    """
                    UPDATE \(unsafeRaw: Job.table) SET status = \(bind: job.status.rawValue), \
                    last_modified_time = \(bind: job.lastModifiedTime.epochMilliseconds), document = \(bind: document) \
                    WHERE account_id = \(bind: job.accountId) AND name = \(bind: job.name) \
                    AND last_modified_time = \(bind: expectedModified.epochMilliseconds) RETURNING name
                    """
                ).first() != nil
            if updated, let event { try await self.insertEvent(event, on: database) }
            return updated
        }
    }

    func jobs<Job: StoredJob>(_ query: JobQuery<Job.Status>) async throws -> [Job] {
        try await read("listing \(Job.kind.lowercased()) jobs") { database in
            var select = database.select().column("document").from(Job.table).where("account_id", .equal, query.accountId)
            if let status = query.status { select = select.where("status", .equal, status.rawValue) }
            if let after = query.creationAfter { select = select.where("creation_time", .greaterThan, after.epochMilliseconds) }
            if let before = query.creationBefore { select = select.where("creation_time", .lessThan, before.epochMilliseconds) }
            if let after = query.modifiedAfter { select = select.where("last_modified_time", .greaterThan, after.epochMilliseconds) }
            if let before = query.modifiedBefore { select = select.where("last_modified_time", .lessThan, before.epochMilliseconds) }
            let column: String
            switch query.sortBy {
            case .name: column = "name"
            case .creationTime: column = "creation_time"
            case .status: column = "status"
            }
            select = select.orderBy(column, query.descending ? .descending : .ascending).orderBy("name", .ascending)
            // NameContains is case-insensitive in SageMaker: filtered here, after the ordered scan, then paged.
            let needle = query.nameContains?.lowercased()
            var jobs: [Job] = []
            var skipped = 0
            for row in try await select.all() {
                let job: Job = try Self.job(row)
                if let needle, !job.name.lowercased().contains(needle) { continue }
                if skipped < query.offset {
                    skipped += 1
                    continue
                }
                jobs.append(job)
                if jobs.count == query.limit { break }
            }
            return jobs
        }
    }

    /// Every job not yet in a terminal status, in all accounts.
    func unfinishedJobs<Job: StoredJob>(_ type: Job.Type) async throws -> [Job] {
        try await read("listing unfinished \(Job.kind.lowercased()) jobs") { database in
            try await database.select().column("document").from(Job.table)
                .where("status", .notIn, Job.terminalStatuses.map(\.rawValue)).all().map(Self.job)
        }
    }
}
