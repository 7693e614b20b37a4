import Foundation
import OspreyCore
import SQLKit

/// A record of one of the serving tables: coded as the row's document, its tags in a column of their own.
protocol ServingDocument: Codable, Sendable {
    var name: String { get }
    var accountId: String { get }
    var arn: String { get }
    var creationTime: Date { get }
    var tags: [String: String] { get set }
}

extension ModelRecord: ServingDocument {}
extension EndpointConfigRecord: ServingDocument {}
extension Endpoint: ServingDocument {}

/// Models, endpoint configurations and endpoints: one code path over three tables.
extension SQLMetadataStore {
    enum ServingTable: String, CaseIterable {
        case models = "sagemaker_models"
        case configs = "sagemaker_endpoint_configs"
        case endpoints = "sagemaker_endpoints"
    }

    /// The coding of every record kept as a JSON document (serving records, scaling records, jobs): dates as epoch
    /// milliseconds, keys sorted.
    static let documentEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static let documentDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()

    /// A record as the `document` column keeps it.
    static func document(_ record: some Encodable) throws -> String {
        String(decoding: try documentEncoder.encode(record), as: UTF8.self)
    }

    static func servingRecord<T: ServingDocument>(_ row: any SQLRow, as type: T.Type) throws -> T {
        var record: T
        do {
            record = try documentDecoder.decode(type, from: Data(try row.string("document").utf8))
        } catch let error as DecodingError {
            throw OspreyError(.internalError, "The metadata store holds a malformed \(type) document", cause: error)
        }
        record.tags = try JSONColumn.decodeMap(try row.string("tags"), column: "tags")
        return record
    }

    // MARK: Models

    public func insertModel(_ model: ModelRecord, event: NewEvent) async throws {
        try await insertServing(model, into: .models, kind: "model", extra: [], event: event)
    }

    public func model(name: String, accountId: String) async throws -> ModelRecord? {
        try await servingRecord(name: name, accountId: accountId, in: .models, as: ModelRecord.self)
    }

    public func models(_ query: ServingQuery) async throws -> [ModelRecord] {
        try await servingList(query, in: .models, as: ModelRecord.self)
    }

    public func deleteModel(name: String, accountId: String, event: NewEvent) async throws -> Bool {
        try await deleteServing(name: name, accountId: accountId, from: .models, expectedModified: nil, event: event)
    }

    // MARK: Endpoint configurations

    public func insertEndpointConfig(_ config: EndpointConfigRecord, event: NewEvent) async throws {
        try await insertServing(config, into: .configs, kind: "endpoint configuration", extra: [], event: event)
    }

    public func endpointConfig(name: String, accountId: String) async throws -> EndpointConfigRecord? {
        try await servingRecord(name: name, accountId: accountId, in: .configs, as: EndpointConfigRecord.self)
    }

    public func endpointConfigs(_ query: ServingQuery) async throws -> [EndpointConfigRecord] {
        try await servingList(query, in: .configs, as: EndpointConfigRecord.self)
    }

    public func deleteEndpointConfig(name: String, accountId: String, event: NewEvent) async throws -> Bool {
        try await deleteServing(name: name, accountId: accountId, from: .configs, expectedModified: nil, event: event)
    }

    // MARK: Endpoints

    public func insertEndpoint(_ endpoint: Endpoint, event: NewEvent) async throws {
        let extra: [(String, any Encodable & Sendable)] = [
            ("status", endpoint.status.rawValue), ("last_modified_time", endpoint.lastModifiedTime.epochMilliseconds),
        ]
        try await insertServing(endpoint, into: .endpoints, kind: "endpoint", extra: extra, event: event)
    }

    public func endpoint(name: String, accountId: String) async throws -> Endpoint? {
        try await servingRecord(name: name, accountId: accountId, in: .endpoints, as: Endpoint.self)
    }

    public func updateEndpoint(_ endpoint: Endpoint, expectedModified: Date, event: NewEvent?) async throws -> Bool {
        let document = try Self.document(endpoint)
        return try await write("updating an endpoint") { database in
            let updated =
                try await database.update(ServingTable.endpoints.rawValue)
                .set("status", to: endpoint.status.rawValue)
                .set("last_modified_time", to: endpoint.lastModifiedTime.epochMilliseconds)
                .set("document", to: document)
                .where("account_id", .equal, endpoint.accountId).where("name", .equal, endpoint.name)
                .where("last_modified_time", .equal, expectedModified.epochMilliseconds)
                .returning("name").first() != nil
            if updated, let event { try await self.insertEvent(event, on: database) }
            return updated
        }
    }

    public func deleteEndpoint(name: String, accountId: String, expectedModified: Date, event: NewEvent) async throws -> Bool {
        try await deleteServing(name: name, accountId: accountId, from: .endpoints, expectedModified: expectedModified, event: event)
    }

    public func endpoints(_ query: ServingQuery) async throws -> [Endpoint] {
        try await servingList(query, in: .endpoints, as: Endpoint.self)
    }

    public func allEndpoints() async throws -> [Endpoint] {
        try await read("listing all endpoints") { database in
            try await database.select().columns("document", "tags").from(ServingTable.endpoints.rawValue)
                .orderBy("account_id").orderBy("name").all().map { try Self.servingRecord($0, as: Endpoint.self) }
        }
    }

    // MARK: Tags

    public func servingTags(arn: String, accountId: String) async throws -> [String: String]? {
        try await read("reading tags") { database in
            for table in ServingTable.allCases {
                let row = try await database.select().column("tags").from(table.rawValue)
                    .where("arn", .equal, arn).where("account_id", .equal, accountId).first()
                if let row { return try JSONColumn.decodeMap(try row.string("tags"), column: "tags") }
            }
            return nil
        }
    }

    public func updateServingTags(arn: String, accountId: String, set: [String: String], remove: [String], limit: Int) async throws
        -> [String: String]?
    {
        try await write("updating tags") { database in
            for table in ServingTable.allCases {
                // Locks the row on PostgreSQL; SQLite's write transaction already excludes other writers.
                guard
                    let row = try await database.select().column("tags").from(table.rawValue)
                        .where("arn", .equal, arn).where("account_id", .equal, accountId).for(.update).first()
                else { continue }
                var tags = try JSONColumn.decodeMap(try row.string("tags"), column: "tags")
                tags.merge(set) { $1 }
                for key in remove { tags[key] = nil }
                guard tags.count <= limit else {
                    throw OspreyError(.limitExceeded, "A resource can have at most \(limit) tags; \(arn) would have \(tags.count).")
                }
                try await database.update(table.rawValue).set("tags", to: JSONColumn.encode(tags))
                    .where("arn", .equal, arn).where("account_id", .equal, accountId).run()
                return tags
            }
            return nil
        }
    }

    // MARK: Shared

    private func insertServing(
        _ record: some ServingDocument, into table: ServingTable, kind: String, extra: [(String, any Encodable & Sendable)], event: NewEvent
    ) async throws {
        let conflict = OspreyError(.alreadyExists, "Cannot create already existing \(kind) \"\(record.arn)\".")
        let document = try Self.document(record)
        let columns = ["account_id", "name", "arn", "creation_time", "document", "tags"] + extra.map(\.0)
        let values: [any Encodable & Sendable] =
            [record.accountId, record.name, record.arn, record.creationTime.epochMilliseconds, document, JSONColumn.encode(record.tags)]
            + extra.map(\.1)
        try await write("storing a \(kind)", conflict: conflict) { database in
            try await database.insert(into: table.rawValue).columns(columns).values(values).run()
            try await self.insertEvent(event, on: database)
        }
    }

    private func servingRecord<T: ServingDocument>(name: String, accountId: String, in table: ServingTable, as type: T.Type) async throws
        -> T?
    {
        try await read("reading a \(type)") { database in
            try await database.select().columns("document", "tags").from(table.rawValue)
                .where("account_id", .equal, accountId).where("name", .equal, name).first().map { try Self.servingRecord($0, as: type) }
        }
    }

    private func deleteServing(
        name: String, accountId: String, from table: ServingTable, expectedModified: Date?, event: NewEvent
    ) async throws -> Bool {
        try await write("deleting from \(table.rawValue)") { database in
            let delete = database.delete(from: table.rawValue).where("account_id", .equal, accountId).where("name", .equal, name)
            if let expectedModified { delete.where("last_modified_time", .equal, expectedModified.epochMilliseconds) }
            let deleted = try await delete.returning("name").first() != nil
            if deleted { try await self.insertEvent(event, on: database) }
            return deleted
        }
    }

    private func servingList<T: ServingDocument>(_ query: ServingQuery, in table: ServingTable, as type: T.Type) async throws -> [T] {
        try await read("listing \(table.rawValue)") { database in
            let select = database.select().columns("document", "tags").from(table.rawValue).where("account_id", .equal, query.accountId)
            if let needle = query.nameContains, !needle.isEmpty {
                select.where(SQLQueryString("LOWER(name) LIKE \(bind: "%" + Self.likeEscaped(needle.lowercased()) + "%") ESCAPE '!'"))
            }
            if let after = query.creationAfter { select.where("creation_time", .greaterThan, after.epochMilliseconds) }
            if let before = query.creationBefore { select.where("creation_time", .lessThan, before.epochMilliseconds) }
            if table == .endpoints {
                if let after = query.modifiedAfter { select.where("last_modified_time", .greaterThan, after.epochMilliseconds) }
                if let before = query.modifiedBefore { select.where("last_modified_time", .lessThan, before.epochMilliseconds) }
                if let status = query.status { select.where("status", .equal, status.rawValue) }
            }
            let column: String
            switch query.sortBy {
            case .name: column = "name"
            case .status where table == .endpoints: column = "status"
            case .creationTime, .status: column = "creation_time"
            }
            select.orderBy(column, query.descending ? .descending : .ascending).orderBy("name", .ascending)
            return try await select.offset(max(0, query.offset)).limit(max(0, query.limit)).all().map { try Self.servingRecord($0, as: type) }
        }
    }

    /// `text` with LIKE's wildcards (and the escape character `!`) escaped by `!`.
    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "!" || character == "%" || character == "_" { escaped.append("!") }
            escaped.append(character)
        }
        return escaped
    }
}
