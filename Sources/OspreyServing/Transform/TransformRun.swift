import Foundation
import NIOCore
import OspreyCore
import OspreyServices
import Synchronization

/// Runs one transform job's data through its fleet: each object split into records, records packed into requests (at
/// most `concurrency` in flight across all objects), answers joined and filtered, and each object's output written whole.
struct TransformRun: Sendable {
    typealias Format = TransformRecords.Format

    let request: TransformRequest
    let accountId: String
    let objects: ObjectService
    let fleet: ModelFleet
    let concurrency: Int
    /// Set by StopTransformJob (or a server shutdown): no further request is sent.
    let stop: StopSignal

    /// An object read and cut into requests.
    struct Prepared: Sendable {
        var object: TransformObject
        /// The records as sent (after the InputFilter).
        var records: [ArraySlice<UInt8>]
        /// The records as read (JoinSource Input joins these); the same as `records` without an InputFilter.
        var originals: [ArraySlice<UInt8>]
        var batches: [Range<Int>]
    }

    /// What one request gave: the pieces of output, in order, and the answer's content type.
    struct Answer: Sendable {
        var object: Int
        var batch: Int
        var pieces: [[UInt8]]
        var contentType: String?
    }

    /// Transforms every object; throws the first failure (naming its object) or `TransformStopped` once `stop` is set and
    /// the requests in flight are answered.
    func run(_ inputs: [TransformObject]) async throws {
        try await withThrowingTaskGroup(of: Answer.self) { group in
            var prepared: [Int: Prepared] = [:]
            var answers: [Int: [Answer?]] = [:]
            var inFlight = 0
            func settle(_ answer: Answer) async throws {
                inFlight -= 1
                answers[answer.object]![answer.batch] = answer
                if answers[answer.object]!.allSatisfy({ $0 != nil }), let done = prepared.removeValue(forKey: answer.object) {
                    try await write(done, answers.removeValue(forKey: answer.object)!.map { $0! })
                }
            }
            for (index, object) in inputs.enumerated() {
                try stop.check()
                let ready = try await prepare(object)
                guard !ready.batches.isEmpty else {
                    try await write(ready, [])
                    continue
                }
                prepared[index] = ready
                answers[index] = Array(repeating: nil, count: ready.batches.count)
                for (batchIndex, batch) in ready.batches.enumerated() {
                    while inFlight >= concurrency, let answer = try await group.next() { try await settle(answer) }
                    try stop.check()
                    group.addTask { try await self.transform(ready, batch: batch, object: index, index: batchIndex) }
                    inFlight += 1
                }
            }
            while let answer = try await group.next() { try await settle(answer) }
        }
    }

    /// Reads an object and cuts it into records (InputFilter applied) and requests.
    func prepare(_ object: TransformObject) async throws -> Prepared {
        do {
            let record = try await objects.object(bucket: object.bucket, key: object.key, accountId: accountId)
            let bytes = try await objects.bytes(of: record, accountId: accountId)
            let originals: [ArraySlice<UInt8>] =
                request.splitLines ? TransformRecords.lines(bytes).map { bytes[$0] } : (bytes.isEmpty ? [] : [bytes[...]])
            var records = originals
            if let filter = request.inputFilter {
                let declared = Format(mediaType: request.contentType)
                records = try originals.map { original in
                    let format = Format.of(original, declared: declared)
                    return TransformRecords.render(try filter.apply(try TransformRecords.value(original, format: format)), format: format)[...]
                }
            }
            let batches = try TransformRecords.batches(
                sizes: records.map(\.count), multiRecord: request.multiRecord, maxBytes: request.maxPayloadBytes)
            return Prepared(object: object, records: records, originals: originals, batches: batches)
        } catch let error as OspreyError {
            throw OspreyError(error.code, "\(object.uri): \(error.message)", cause: error)
        }
    }

    /// Sends one request and turns its answer into output pieces.
    func transform(_ prepared: Prepared, batch: Range<Int>, object: Int, index: Int) async throws -> Answer {
        let records = prepared.records[batch]
        var body = ByteBuffer()
        body.reserveCapacity(records.reduce(records.count) { $0 + $1.count })
        for (offset, record) in records.enumerated() {
            if offset > 0 { body.writeInteger(UInt8(ascii: "\n")) }
            body.writeBytes(record)
        }
        let span = batch.count == 1 ? "record \(batch.lowerBound + 1)" : "records \(batch.lowerBound + 1)-\(batch.upperBound)"
        let location = "\(prepared.object.uri) (\(span))"
        let response: InvocationResponse
        do {
            response = try await fleet.invoke(
                InvocationRequest(body: body, contentType: request.contentType, accept: request.accept), retries: request.invocationRetries)
        } catch let error as OspreyError {
            throw OspreyError(error.code, "\(location): \(error.message)", cause: error)
        }
        let answer = Array(response.body.readableBytesView)
        guard (200..<300).contains(response.status) else {
            let message = String(decoding: answer.prefix(1000), as: UTF8.self)
            throw OspreyError(.validation, "\(location): the model answered \(response.status): \(message)")
        }
        let contentType = response.contentType ?? request.accept
        guard request.perRecordAnswers else { return Answer(object: object, batch: index, pieces: [answer], contentType: contentType) }
        let answerFormat = Format(mediaType: contentType)
        guard let perRecord = TransformRecords.perRecord(answer, count: batch.count, format: answerFormat) else {
            throw OspreyError(
                .validation,
                "\(location): the answer does not have one line or JSON array element per record, which JoinSource Input and an "
                    + "OutputFilter need.")
        }
        do {
            let pieces = try zip(batch, perRecord).map { position, output -> [UInt8] in
                var format = answerFormat ?? Format.of(output[...], declared: nil)
                var value: JSONValue
                if request.joinInput {
                    let original = prepared.originals[position]
                    let inputFormat = Format.of(original, declared: Format(mediaType: request.contentType))
                    value = TransformRecords.join(
                        input: try TransformRecords.value(original, format: inputFormat), inputFormat: inputFormat, answer: output,
                        answerFormat: format)
                    format = inputFormat
                } else {
                    value = try TransformRecords.value(output[...], format: format)
                }
                if let filter = request.outputFilter { value = try filter.apply(value) }
                return TransformRecords.render(value, format: format)
            }
            return Answer(object: object, batch: index, pieces: pieces, contentType: contentType)
        } catch let error as OspreyError {
            throw OspreyError(error.code, "\(location): \(error.message)", cause: error)
        }
    }

    /// Assembles an object's output (AssembleWith Line: each piece on its own line) and stores it whole.
    func write(_ prepared: Prepared, _ answers: [Answer]) async throws {
        var out = ByteBuffer()
        for piece in answers.lazy.flatMap(\.pieces) {
            out.writeBytes(piece)
            if request.assembleLines, piece.last != UInt8(ascii: "\n") { out.writeInteger(UInt8(ascii: "\n")) }
        }
        let contentType = request.accept ?? answers.first?.contentType ?? "application/octet-stream"
        try await objects.put(out, bucket: request.output.bucket, key: prepared.object.outputKey, contentType: contentType, accountId: accountId)
    }
}

/// Tells a running job to send no further request.
final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    func set() { flag.store(true, ordering: .relaxed) }

    var isSet: Bool { flag.load(ordering: .relaxed) }

    /// Throws `TransformStopped` once set.
    func check() throws {
        if isSet { throw TransformStopped() }
    }
}

/// The run ended because it was asked to stop.
struct TransformStopped: Error {}
