public import Crypto
import Foundation
public import OspreyCore

/// A webhook just created, with its signing secret in the clear. The secret is not shown again.
public struct CreatedWebhook: Sendable {
    public var webhook: Webhook
    public var secret: String
}

/// Creates, lists and deletes an account's webhook subscriptions. Delivery is `WebhookDeliverer`'s job.
///
/// Each webhook gets a random signing secret, sealed at rest with the master key (AES-GCM) and returned once.
public struct WebhookService: Sendable {
    /// The most event types one webhook may name.
    public static let maxEventTypes = 100
    public static let maxURLLength = 2048

    let store: any EventStore & WebhookStore
    let masterKey: SymmetricKey
    let clock: any WallClock
    let ids: any IDGenerator

    public init(
        store: any EventStore & WebhookStore, masterKey: SymmetricKey, clock: any WallClock = SystemClock(),
        ids: any IDGenerator = RandomIDGenerator()
    ) {
        self.store = store
        self.masterKey = masterKey
        self.clock = clock
        self.ids = ids
    }

    /// Subscribes `url` to the account's events whose type is in `eventTypes` (every type when empty).
    ///
    /// Delivery starts with the first event written after this call; history is not replayed. Throws `.validation`
    /// naming the field (`url`, `events`) when the input is bad.
    public func create(accountId: String, url: String, eventTypes: [String]) async throws -> CreatedWebhook {
        let url = try Self.validate(url: url)
        let eventTypes = try Self.validate(eventTypes: eventTypes)
        let secret = Self.randomSecret()
        let webhook = Webhook(
            id: "wh-" + ids.hex(bytes: 8), accountId: accountId, url: url, eventTypes: eventTypes,
            sealedSecret: try WebhookSecret.seal(secret, with: masterKey), cursor: try await store.endOfOutbox(),
            createdAt: clock.now()
        )
        try await store.insertWebhook(webhook)
        return CreatedWebhook(webhook: webhook, secret: secret)
    }

    /// The account's webhooks, oldest first.
    public func list(accountId: String) async throws -> [Webhook] {
        try await store.webhooks(accountId: accountId)
    }

    /// Deletes a webhook of the account; delivery to it stops. Throws `.notFound` when there is none.
    public func delete(id: String, accountId: String) async throws {
        guard try await store.deleteWebhook(id: id, accountId: accountId) else {
            throw OspreyError(.notFound, "Webhook \(id) does not exist.")
        }
    }

    /// The URL, when it is absolute http(s) with a host.
    static func validate(url: String) throws -> String {
        let bad = OspreyError(.validation, "url must be an absolute http:// or https:// URL with a host, at most \(maxURLLength) characters.")
        guard url.count <= maxURLLength, let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty, URL(string: url) != nil
        else { throw bad }
        return url
    }

    /// The event types, trimmed and without duplicates, in the order given.
    static func validate(eventTypes: [String]) throws -> [String] {
        guard eventTypes.count <= maxEventTypes else {
            throw OspreyError(.validation, "events may name at most \(maxEventTypes) event types.")
        }
        var seen = Set<String>()
        var result: [String] = []
        for raw in eventTypes {
            let type = raw.trimmingCharacters(in: .whitespaces)
            guard (1...256).contains(type.count), !type.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw OspreyError(.validation, "events must be event type names (1 to 256 printable characters), like osprey.s3.BucketCreated.")
            }
            if seen.insert(type).inserted { result.append(type) }
        }
        return result
    }

    /// 32 random bytes from the system's secure generator, as `whsec_` and hex.
    static func randomSecret() -> String {
        let key = SymmetricKey(size: .bits256)
        return "whsec_" + key.withUnsafeBytes { hex($0) }
    }
}

/// Sealing, opening and using webhook signing secrets.
public enum WebhookSecret {
    static func seal(_ secret: String, with masterKey: SymmetricKey) throws -> [UInt8] {
        Array(try AES.GCM.seal(Data(secret.utf8), using: masterKey).combined!)
    }

    /// Throws when the secret was sealed under another master key or is damaged.
    static func open(_ sealed: [UInt8], with masterKey: SymmetricKey) throws -> String {
        let box = try AES.GCM.SealedBox(combined: Data(sealed))
        return String(decoding: try AES.GCM.open(box, using: masterKey), as: UTF8.self)
    }

    /// The `X-Osprey-Signature` value: `sha256=` and the hex HMAC-SHA256, keyed with the secret's UTF-8 bytes, of
    /// `timestamp + "." + body`.
    public static func signature(secret: String, timestamp: String, body: [UInt8]) -> String {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        hmac.update(data: Data(timestamp.utf8))
        hmac.update(data: Data(".".utf8))
        hmac.update(data: body)
        return "sha256=" + hex(hmac.finalize())
    }
}
