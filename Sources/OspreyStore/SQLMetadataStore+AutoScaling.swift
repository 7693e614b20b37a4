import Foundation
import OspreyCore
import SQLKit

/// Scalable targets, scaling policies and scaling activities: a JSON document per row, keyed by account and resource.
extension SQLMetadataStore {
    static func autoScalingRecord<T: Decodable>(_ row: any SQLRow, as type: T.Type) throws -> T {
        do {
            return try documentDecoder.decode(type, from: Data(try row.string("document").utf8))
        } catch let error as DecodingError {
            throw OspreyError(.internalError, "The metadata store holds a malformed \(type) document", cause: error)
        }
    }

    // MARK: Scalable targets

    public func putScalableTarget(_ target: ScalableTarget) async throws {
        let document = try Self.document(target)
        try await write("registering a scalable target") { database in
            try await database.raw(
                """
                INSERT INTO autoscaling_targets (account_id, resource_id, document) VALUES \
                (\(bind: target.accountId), \(bind: target.resourceId), \(bind: document)) \
                ON CONFLICT (account_id, resource_id) DO UPDATE SET document = excluded.document
                """
            ).run()
        }
    }

    public func scalableTarget(accountId: String, resourceId: String) async throws -> ScalableTarget? {
        try await read("reading a scalable target") { database in
            try await database.select().column("document").from("autoscaling_targets")
                .where("account_id", .equal, accountId).where("resource_id", .equal, resourceId).first()
                .map { try Self.autoScalingRecord($0, as: ScalableTarget.self) }
        }
    }

    public func scalableTargets(accountId: String?) async throws -> [ScalableTarget] {
        try await read("listing scalable targets") { database in
            var select = database.select().column("document").from("autoscaling_targets")
            if let accountId { select = select.where("account_id", .equal, accountId) }
            return try await select.orderBy("account_id").orderBy("resource_id").all()
                .map { try Self.autoScalingRecord($0, as: ScalableTarget.self) }
        }
    }

    public func deleteScalableTarget(accountId: String, resourceId: String) async throws -> Bool {
        try await write("deregistering a scalable target") { database in
            try await database.delete(from: "autoscaling_policies")
                .where("account_id", .equal, accountId).where("resource_id", .equal, resourceId).run()
            return try await database.raw(
                """
                DELETE FROM autoscaling_targets WHERE account_id = \(bind: accountId) AND resource_id = \(bind: resourceId) \
                RETURNING resource_id
                """
            ).first() != nil
        }
    }

    // MARK: Scaling policies

    public func putScalingPolicy(_ policy: ScalingPolicy) async throws -> Bool {
        let document = try Self.document(policy)
        return try await write("storing a scaling policy") { database in
            let target = try await database.select().column("resource_id").from("autoscaling_targets")
                .where("account_id", .equal, policy.accountId).where("resource_id", .equal, policy.resourceId).first()
            guard target != nil else { return false }
            try await database.raw(
                """
                INSERT INTO autoscaling_policies (account_id, resource_id, name, document) VALUES \
                (\(bind: policy.accountId), \(bind: policy.resourceId), \(bind: policy.name), \(bind: document)) \
                ON CONFLICT (account_id, resource_id, name) DO UPDATE SET document = excluded.document
                """
            ).run()
            return true
        }
    }

    public func scalingPolicies(accountId: String, resourceId: String?) async throws -> [ScalingPolicy] {
        try await read("listing scaling policies") { database in
            var select = database.select().column("document").from("autoscaling_policies").where("account_id", .equal, accountId)
            if let resourceId { select = select.where("resource_id", .equal, resourceId) }
            return try await select.orderBy("resource_id").orderBy("name").all()
                .map { try Self.autoScalingRecord($0, as: ScalingPolicy.self) }
        }
    }

    public func deleteScalingPolicy(accountId: String, resourceId: String, name: String) async throws -> Bool {
        try await write("deleting a scaling policy") { database in
            try await database.raw(
                """
                DELETE FROM autoscaling_policies WHERE account_id = \(bind: accountId) AND resource_id = \(bind: resourceId) \
                AND name = \(bind: name) RETURNING name
                """
            ).first() != nil
        }
    }

    // MARK: Scaling activities

    public func insertScalingActivity(_ activity: ScalingActivity) async throws {
        let document = try Self.document(activity)
        let conflict = OspreyError(.alreadyExists, "A scaling activity with the id \(activity.id) already exists.")
        try await write("recording a scaling activity", conflict: conflict) { database in
            try await database.raw(
                """
                INSERT INTO autoscaling_activities (account_id, id, resource_id, start_time, document) VALUES \
                (\(bind: activity.accountId), \(bind: activity.id), \(bind: activity.resourceId), \
                \(bind: activity.startTime.epochMilliseconds), \(bind: document))
                """
            ).run()
        }
    }

    public func updateScalingActivity(_ activity: ScalingActivity) async throws {
        let document = try Self.document(activity)
        try await write("updating a scaling activity") { database in
            try await database.update("autoscaling_activities").set("document", to: document)
                .where("account_id", .equal, activity.accountId).where("id", .equal, activity.id).run()
        }
    }

    public func scalingActivities(accountId: String, resourceId: String?, offset: Int, limit: Int) async throws -> [ScalingActivity] {
        try await read("listing scaling activities") { database in
            var select = database.select().column("document").from("autoscaling_activities").where("account_id", .equal, accountId)
            if let resourceId { select = select.where("resource_id", .equal, resourceId) }
            return try await select.orderBy("start_time", .descending).orderBy("id", .descending).offset(offset).limit(limit).all()
                .map { try Self.autoScalingRecord($0, as: ScalingActivity.self) }
        }
    }
}
