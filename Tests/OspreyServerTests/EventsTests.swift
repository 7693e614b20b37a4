import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import OspreyCore
import OspreyServices
import OspreyStore
import Testing

@testable import OspreyServer

/// The event outbox as streams, webhooks and their delivery, on a real SQLite store and real loopback HTTP.
// Ten minutes like the end-to-end suites: the live-server test waits for a slot of the shared end-to-end gate, which
// the SDK scenarios can hold for minutes.
@Suite(.timeLimit(.minutes(10)))
struct EventsTests {
    static let alice = "111111111111"
    static let bob = "222222222222"
    static let fast = WebhookDeliverer.Timing(pollInterval: .milliseconds(20), firstRetry: .milliseconds(20), maxRetry: .milliseconds(200))

    // MARK: Streams

    @Test func streamGivesTheAccountsEventsInOrderResumesAndFollows() async throws {
        try await withEventStore { store in
            for (type, account) in [("a.1", Self.alice), ("b.1", Self.bob), ("a.2", Self.alice), ("a.3", Self.alice)] {
                try await store.appendEvent(testEvent(type, account: account))
            }
            let events = EventService(store: store, pollInterval: .milliseconds(20))
            var all = events.stream(after: 0, accountId: Self.alice).makeAsyncIterator()
            var seen: [StoredEvent] = []
            for _ in 0..<3 { seen.append(try #require(try await all.next())) }
            #expect(seen.map(\.event.type) == ["a.1", "a.2", "a.3"])
            #expect(seen.allSatisfy { $0.event.accountId == Self.alice })
            #expect(seen.map(\.sequence) == seen.map(\.sequence).sorted())

            var resumed = events.stream(after: seen[0].sequence, accountId: Self.alice).makeAsyncIterator()
            #expect(try await resumed.next()?.event.type == "a.2")
            #expect(try await resumed.next()?.event.type == "a.3")

            // Open streams pick up new events; another account's never show.
            try await store.appendEvent(testEvent("b.2", account: Self.bob))
            try await store.appendEvent(testEvent("a.4", account: Self.alice))
            #expect(try await resumed.next()?.event.type == "a.4")
            #expect(try await all.next()?.event.type == "a.4")
            var bobs = events.stream(after: 0, accountId: Self.bob).makeAsyncIterator()
            #expect(try await bobs.next()?.event.type == "b.1")
            #expect(try await bobs.next()?.event.type == "b.2")
        }
    }

    @Test func streamsReadInBatchesAndWatchReportsQuietPolls() async throws {
        try await withEventStore { store in
            for n in 1...(EventService.batchSize + 20) { try await store.appendEvent(testEvent("t.\(n)", account: Self.alice)) }
            let events = EventService(store: store, pollInterval: .milliseconds(20))
            var watch = events.watch(after: 0, accountId: Self.alice).makeAsyncIterator()
            var types: [String] = []
            while let element = try await watch.next() {
                guard case .event(let event) = element else { break }
                types.append(event.event.type)
            }
            #expect(types == (1...(EventService.batchSize + 20)).map { "t.\($0)" })
        }
    }

    @Test func streamEndsWhenTheConsumerIsCancelled() async throws {
        try await withEventStore { store in
            let stream = EventService(store: store, pollInterval: .milliseconds(20)).stream(after: 0, accountId: Self.alice)
            let consumer = Task {
                var count = 0
                for try await _ in stream { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(100))
            consumer.cancel()
            #expect(try await consumer.value == 0)
        }
    }

    @Test func currentEndIsTheNewestSequenceOfAnyAccount() async throws {
        try await withEventStore { store in
            let events = EventService(store: store)
            #expect(try await events.currentEnd() == 0)
            var last: Int64 = 0
            for n in 1...40 {
                try await store.appendEvent(testEvent("t.\(n)", account: n % 3 == 0 ? Self.bob : Self.alice))
                last = try #require(try await store.events(after: last, accountId: nil, limit: 10).last?.sequence)
                #expect(try await events.currentEnd() == last)
            }
        }
    }

    // MARK: Webhooks

    @Test func webhooksAreValidatedSealedScopedAndStartAtTheEnd() async throws {
        try await withEventStore { store in
            let masterKey = SymmetricKey(size: .bits256)
            let service = WebhookService(store: store, masterKey: masterKey)
            for url in ["", "ftp://example.com/x", "http://", "/relative/path", "example.com/hook", "https:///nohost", "http://exa mple.com/"] {
                let message = await validationMessage { _ = try await service.create(accountId: Self.alice, url: url, eventTypes: []) }
                #expect(message?.hasPrefix("url") == true, "\(url): \(message ?? "accepted")")
            }
            for types in [[""], ["a\nb"], Array(repeating: "t", count: WebhookService.maxEventTypes + 1).enumerated().map { "t\($0.offset)" }] {
                let message = await validationMessage {
                    _ = try await service.create(accountId: Self.alice, url: "https://example.com/hook", eventTypes: types)
                }
                #expect(message?.hasPrefix("events") == true, "\(types.prefix(2)): \(message ?? "accepted")")
            }

            try await store.appendEvent(testEvent("before", account: Self.alice))
            try await store.appendEvent(testEvent("before", account: Self.bob))
            let created = try await service.create(accountId: Self.alice, url: "https://example.com/hook?x=1", eventTypes: ["x", " x ", "y"])
            #expect(created.webhook.eventTypes == ["x", "y"])
            #expect(created.webhook.cursor == (try await EventService(store: store).currentEnd()))
            #expect(created.secret.hasPrefix("whsec_") && created.secret.count == 6 + 64)

            let stored = try #require(try await store.webhooks(accountId: Self.alice).first)
            #expect(stored.id == created.webhook.id && stored.url == "https://example.com/hook?x=1")
            #expect(Data(stored.sealedSecret).range(of: Data(created.secret.utf8)) == nil)
            let opened = try AES.GCM.open(AES.GCM.SealedBox(combined: Data(stored.sealedSecret)), using: masterKey)
            #expect(String(decoding: opened, as: UTF8.self) == created.secret)

            #expect(try await service.list(accountId: Self.bob).isEmpty)
            await #expect(throws: OspreyError.self) { try await service.delete(id: created.webhook.id, accountId: Self.bob) }
            try await service.delete(id: created.webhook.id, accountId: Self.alice)
            #expect(try await service.list(accountId: Self.alice).isEmpty)
            let again = await errorCode { try await service.delete(id: created.webhook.id, accountId: Self.alice) }
            #expect(again == .notFound)
        }
    }

    @Test func deliveryRetriesSignsSkipsOtherTypesAndAdvancesOnlyOnSuccess() async throws {
        try await withEventStore { store in
            let masterKey = SymmetricKey(size: .bits256)
            let receiver = WebhookReceiver(failFirst: 3)
            try await receiver.start()
            try await store.appendEvent(testEvent("osprey.test.Match", account: Self.alice))  // history: not replayed
            let created = try await WebhookService(store: store, masterKey: masterKey).create(
                accountId: Self.alice, url: await receiver.url, eventTypes: ["osprey.test.Match"]
            )
            let plan = [
                ("osprey.test.Match", Self.alice), ("osprey.test.Other", Self.alice), ("osprey.test.Match", Self.bob),
                ("osprey.test.Match", Self.alice), ("osprey.test.Match", Self.alice), ("osprey.test.Other", Self.alice),
            ]
            for (n, (type, account)) in plan.enumerated() {
                try await store.appendEvent(testEvent(type, account: account, resource: "r\(n)", detail: "{\n  \"n\": \(n)\n}"))
            }
            let appended = try await store.events(after: created.webhook.cursor, accountId: Self.alice, limit: 100)
            let matching = appended.filter { $0.event.type == "osprey.test.Match" }.map(\.sequence)
            #expect(matching.count == 3)

            let deliverer = WebhookDeliverer(
                store: store, masterKey: masterKey, timing: Self.fast, logger: eventsTestLogger, send: WebhookDispatcher.send
            )
            let running = Task { await deliverer.run() }
            try await eventually("every matching event delivered and the cursor at the last event") {
                let cursor = try await store.webhooks(accountId: Self.alice).first?.cursor
                return await receiver.delivered.count >= matching.count && cursor == appended.last?.sequence
            }
            running.cancel()
            await running.value
            await receiver.stop()

            let received = await receiver.received
            // Three failures of the first event, then its delivery: nothing later goes out before it.
            #expect(received.prefix(4).map(\.eventId) == Array(repeating: matching[0], count: 4))
            #expect(received.prefix(3).map(\.status) == [500, 500, 500])
            #expect(await receiver.delivered.map(\.eventId) == matching)
            #expect(received.allSatisfy { $0.eventId.map(matching.contains) == true })
            for hook in received {
                #expect(hook.signatureVerifies(secret: created.secret))
                #expect(hook.headers["content-type"] == "application/json")
                #expect(hook.headers["x-osprey-event-type"] == "osprey.test.Match")
                #expect(Int(hook.headers["x-osprey-timestamp"] ?? "").map { abs($0 - Int(Date().timeIntervalSince1970)) < 600 } == true)
                #expect(!hook.body.contains(UInt8(ascii: "\n")))
            }
            let json = try #require(received.last?.json)
            #expect((json["id"] as? NSNumber)?.int64Value == matching.last)
            #expect(json["type"] as? String == "osprey.test.Match")
            #expect(json["account"] as? String == Self.alice)
            #expect(json["resource"] as? String == "r4")
            #expect(json["time"] as? String == "2023-11-14T22:13:20.000Z")
            #expect((json["detail"] as? [String: Any])?["n"] as? Int == 4)
        }
    }

    @Test func aFailingWebhookKeepsItsCursorAndDoesNotHoldUpOthers() async throws {
        try await withEventStore { store in
            let masterKey = SymmetricKey(size: .bits256)
            let service = WebhookService(store: store, masterKey: masterKey)
            let up = WebhookReceiver()
            let down = WebhookReceiver()
            try await up.start()
            try await down.start()
            await down.setFailing(true)
            let upHook = try await service.create(accountId: Self.alice, url: await up.url, eventTypes: [])
            let downHook = try await service.create(accountId: Self.alice, url: await down.url, eventTypes: [])
            let refusedHook = try await service.create(
                accountId: Self.alice, url: "http://127.0.0.1:\(try ServerProcess.freePort())/nobody-listens", eventTypes: []
            )
            let start = upHook.webhook.cursor
            for n in 1...3 { try await store.appendEvent(testEvent("t.\(n)", account: Self.alice)) }
            let ids = try await store.events(after: start, accountId: Self.alice, limit: 10).map(\.sequence)

            let deliverer = WebhookDeliverer(
                store: store, masterKey: masterKey, timing: Self.fast, logger: eventsTestLogger, send: WebhookDispatcher.send
            )
            let running = Task { await deliverer.run() }
            func cursor(_ id: String) async throws -> Int64? {
                try await store.webhooks(accountId: Self.alice).first { $0.id == id }?.cursor
            }
            try await eventually("the healthy webhook got every event") { await up.delivered.map(\.eventId) == ids }
            try await eventually("the failing webhook was tried several times") { await down.received.count >= 4 }
            // The cursor moves after the receiver answered, so it may trail the delivery a little.
            try await eventually("the healthy webhook's cursor reached the end") { try await cursor(upHook.webhook.id) == ids.last }
            #expect(try await cursor(downHook.webhook.id) == start)
            #expect(try await cursor(refusedHook.webhook.id) == start)
            #expect(await down.received.allSatisfy { $0.eventId == ids.first })

            await down.setFailing(false)
            try await eventually("the recovered webhook caught up") {
                try await cursor(downHook.webhook.id) == ids.last
            }
            #expect(await down.delivered.map(\.eventId) == ids)
            #expect(try await cursor(refusedHook.webhook.id) == start)

            // A deleted webhook stops receiving.
            try await service.delete(id: upHook.webhook.id, accountId: Self.alice)
            try await Task.sleep(for: .milliseconds(200))
            try await store.appendEvent(testEvent("t.after-delete", account: Self.alice))
            try await eventually("the remaining webhook got the new event") { await down.delivered.count == ids.count + 1 }
            #expect(await up.received.count == ids.count)

            running.cancel()
            await running.value
            await up.stop()
            await down.stop()
        }
    }

    @Test func eventJSONIsOneLineWithTheDetailKept() throws {
        let event = StoredEvent(
            sequence: 42,
            event: NewEvent(
                type: "a \"quoted\"\ttype", accountId: Self.alice, resource: "arn:aws:s3:::b/\u{1}",
                detail: "{\"text\": \"line\\nbreak\",\r\n \"n\": [1, 2.5]}", time: Date(timeIntervalSince1970: 1_700_000_000.25)
            )
        )
        let text = EventJSON.render(event)
        #expect(!text.contains("\n") && !text.contains("\r"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["id"] as? Int == 42)
        #expect(json["type"] as? String == "a \"quoted\"\ttype")
        #expect(json["resource"] as? String == "arn:aws:s3:::b/\u{1}")
        #expect(json["time"] as? String == "2023-11-14T22:13:20.250Z")
        let detail = try #require(json["detail"] as? [String: Any])
        #expect(detail["text"] as? String == "line\nbreak")
        let notJSON = StoredEvent(sequence: 1, event: NewEvent(type: "t", accountId: "a", resource: "r", detail: "not json", time: Date()))
        let wrapped = try JSONSerialization.jsonObject(with: Data(EventJSON.render(notJSON).utf8)) as? [String: Any]
        #expect(wrapped?["detail"] as? String == "not json")
    }

    // MARK: The live server

    /// `GET /api/v1/events` and `/api/v1/webhooks` on the real `osprey server` process, driven over HTTP.
    @Suite(.enabled(if: (try? EndToEnd.ospreyBinary()) != nil, "no osprey executable: build with `swift build --build-tests`"))
    struct LiveServer {
        @Test func serverSentEventsAndWebhooksThroughTheServer() async throws {
            let receiver = WebhookReceiver()
            try await receiver.start()
            var leftOpen = try await EndToEnd.withServer("events") { server -> EventStreamReader in
                let endpoint = server.endpoint
                let keyId = server.accessKeyID
                let secret = server.secretAccessKey
                let basic = "Basic " + Data("\(keyId):\(secret)".utf8).base64EncodedString()

                let bad = try await EventStreamReader(endpoint: endpoint, keyId: keyId, secret: secret, query: "?after=abc")
                #expect(bad.status == 400 && bad.errorBody.contains("after must be"), "\(bad.errorBody)")
                var live = try await EventStreamReader(endpoint: endpoint, keyId: keyId, secret: secret)
                #expect(live.status == 200)
                #expect(live.contentType == "text/event-stream")

                let (badStatus, badProblem) = try await httpCall(.POST, endpoint + "/api/v1/webhooks", basic, json: ["url": "ftp://x"])
                #expect(badStatus == 400 && (badProblem?["detail"] as? String)?.hasPrefix("url") == true)
                let hookURL = await receiver.url
                let (createdStatus, created) = try await httpCall(
                    .POST, endpoint + "/api/v1/webhooks", basic, json: ["url": hookURL, "events": ["osprey.s3.BucketCreated"]]
                )
                #expect(createdStatus == 201)
                let hookId = try #require(created?["id"] as? String)
                let hookSecret = try #require(created?["secret"] as? String)
                #expect(created?["events"] as? [String] == ["osprey.s3.BucketCreated"])

                #expect(try await httpCall(.PUT, endpoint + "/events-one", "Bearer \(secret)").0 == 200)
                let first = try #require(try await live.next())
                #expect(first.type == "osprey.s3.BucketCreated")
                #expect(first.json?["account"] as? String == Deployment.rootAccount)
                #expect(first.json?["resource"] as? String == "arn:aws:s3:::events-one")
                #expect((first.json?["id"] as? NSNumber)?.int64Value == first.id)

                // Another process writes an event of another account to the same database: it stays out of this stream.
                let other = try await SQLMetadataStore.open(
                    url: "sqlite:" + server.dataDir.appendingPathComponent("osprey.db").path, logger: eventsTestLogger
                )
                try await other.appendEvent(testEvent("osprey.test.Foreign", account: EventsTests.alice))
                await other.close()
                #expect(try await httpCall(.DELETE, endpoint + "/events-one", "Bearer \(secret)").0 == 204)
                let second = try #require(try await live.next())
                #expect(second.type == "osprey.s3.BucketDeleted")

                var resumed = try await EventStreamReader(endpoint: endpoint, keyId: keyId, secret: secret, lastEventId: first.id)
                #expect(try await resumed.next()?.id == second.id)
                var afterQuery = try await EventStreamReader(endpoint: endpoint, keyId: keyId, secret: secret, query: "?after=\(first.id ?? 0)")
                #expect(try await afterQuery.next()?.id == second.id)

                try await eventually("the webhook received BucketCreated") { await !receiver.delivered.isEmpty }
                let hook = try #require(await receiver.delivered.first)
                #expect(hook.eventId == first.id)
                #expect(hook.signatureVerifies(secret: hookSecret))
                #expect(hook.json?["resource"] as? String == "arn:aws:s3:::events-one")

                let (_, listed) = try await httpCall(.GET, endpoint + "/api/v1/webhooks", basic)
                let hooks = listed?["webhooks"] as? [[String: Any]] ?? []
                #expect(hooks.map { $0["id"] as? String } == [hookId])
                #expect(hooks.first?["secret"] == nil)
                #expect(try await httpCall(.DELETE, endpoint + "/api/v1/webhooks/\(hookId)", basic).0 == 204)
                let (goneStatus, gone) = try await httpCall(.DELETE, endpoint + "/api/v1/webhooks/\(hookId)", basic)
                #expect(goneStatus == 404 && gone?["status"] as? Int == 404)
                // Left open: SIGTERM must still stop the server promptly (withServer expects exit status 0).
                return live
            }
            // Graceful shutdown ended the stream cleanly.
            #expect(try await leftOpen.next() == nil)
            #expect(await receiver.received.allSatisfy { $0.headers["x-osprey-event-type"] == "osprey.s3.BucketCreated" })
            await receiver.stop()
        }
    }
}

/// The message of the `.validation` error `body` throws; nil when it succeeds, a note when it throws something else.
func validationMessage(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch let error as OspreyError where error.code == .validation {
        return error.message
    } catch {
        return "not a validation error: \(error)"
    }
}

func errorCode(_ body: () async throws -> Void) async -> OspreyError.Code? {
    do {
        try await body()
        return nil
    } catch {
        return (error as? OspreyError)?.code
    }
}

/// One HTTP call with an `Authorization` header; the status and the JSON answer, if any.
func httpCall(_ method: HTTPMethod, _ url: String, _ authorization: String, json: [String: Any]? = nil) async throws -> (Int, [String: Any]?) {
    var request = HTTPClientRequest(url: url)
    request.method = method
    request.headers.add(name: "Authorization", value: authorization)
    if let json {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any])
}
