import Foundation
import OspreyCore
import SQLKit

/// Transform jobs: a JSON document per job, with the filtered and sorted fields as columns.
extension SQLMetadataStore {
    static func document(_ job: TransformJob) throws -> String {
        String(decoding: try jobEncoder.encode(job), as: UTF8.self)
    }

    static func transformJob(_ row: any SQLRow) throws -> TransformJob {
        try jobDecoder.decode(TransformJob.self, from: Data(try row.decode(column: "document", as: String.self).utf8))
    }

    public func insertTransformJob(_ job: TransformJob, event: NewEvent) async throws {
        let conflict = OspreyError(
            .alreadyExists,
            "Transform job names must be unique within an AWS account and region, and a transform job with this name already exists (\(job.arn))")
        let document = try Self.document(job)
        try await write("storing a transform job", conflict: conflict) { database in
            try await database.raw(
                """
                INSERT INTO transform_jobs (account_id, name, status, creation_time, last_modified_time, document) VALUES \
                (\(bind: job.accountId), \(bind: job.name), \(bind: job.status.rawValue), \(bind: job.creationTime.epochMilliseconds), \
                \(bind: job.lastModifiedTime.epochMilliseconds), \(bind: document))
                """
            ).run()
            try await self.insertEvent(event, on: database)
        }
    }

    public func transformJob(name: String, accountId: String) async throws -> TransformJob? {
        try await read("reading a transform job") { database in
            try await database.select().column("document").from("transform_jobs")
                .where("account_id", .equal, accountId).where("name", .equal, name).first().map(Self.transformJob)
        }
    }

    public func updateTransformJob(_ job: TransformJob, expectedModified: Date, event: NewEvent?) async throws -> Bool {
        let document = try Self.document(job)
        return try await write("updating a transform job") { database in
            let updated = try await database.raw(
                """
                UPDATE transform_jobs SET status = \(bind: job.status.rawValue), \
                last_modified_time = \(bind: job.lastModifiedTime.epochMilliseconds), document = \(bind: document) \
                WHERE account_id = \(bind: job.accountId) AND name = \(bind: job.name) \
                AND last_modified_time = \(bind: expectedModified.epochMilliseconds) RETURNING name
                """
            ).first() != nil
            if updated, let event { try await self.insertEvent(event, on: database) }
            return updated
        }
    }

    public func transformJobs(_ query: TransformJobQuery) async throws -> [TransformJob] {
        try await read("listing transform jobs") { database in
            var select = database.select().column("document").from("transform_jobs").where("account_id", .equal, query.accountId)
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
            var jobs: [TransformJob] = []
            var skipped = 0
            for row in try await select.all() {
                let job = try Self.transformJob(row)
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

    public func unfinishedTransformJobs() async throws -> [TransformJob] {
        let terminal = [TransformJobStatus.completed, .failed, .stopped].map(\.rawValue)
        return try await read("listing unfinished transform jobs") { database in
            try await database.select().column("document").from("transform_jobs").where("status", .notIn, terminal).all()
                .map(Self.transformJob)
        }
    }
}
