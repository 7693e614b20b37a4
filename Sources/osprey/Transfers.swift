import Foundation
import NIOCore
import OspreyArtifacts
import _NIOFileSystem

/// File uploads and downloads with a progress bar on a terminal.
enum Transfers {
    static func upload(file: String, to target: S3Location, with s3: S3Client, quiet: Bool = false) async throws {
        guard let info = try await FileSystem.shared.info(forFileAt: FilePath(file)), info.type == .regular else {
            throw ValidationError("\(file) is not a file.")
        }
        let progress = Progress(total: info.size, label: "upload: \(file) to s3://\(target.bucket)/\(target.key)")
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(file)) { handle in
            let chunks = ProgressSequence(base: handle.readChunks(in: 0..<info.size, chunkLength: .mebibytes(1)), progress: progress)
            _ = try await s3.putObject(bucket: target.bucket, key: target.key, contentType: nil, length: info.size, body: chunks)
        }
        if !quiet { progress.done() }
    }

    static func download(_ source: S3Location, to path: String, with s3: S3Client) async throws {
        let size = try await s3.headObject(bucket: source.bucket, key: source.key)?.size ?? 0
        let progress = Progress(total: size, label: "download: s3://\(source.bucket)/\(source.key) to \(path)")
        try await FileSystem.shared.withFileHandle(
            forWritingAt: FilePath(path), options: .newFile(replaceExisting: true)
        ) { handle in
            var writer = handle.bufferedWriter()
            try await s3.getObject(bucket: source.bucket, key: source.key, range: nil) { chunk in
                progress.advance(Int64(chunk.readableBytes))
                try await writer.write(contentsOf: chunk)
            }
            try await writer.flush()
        }
        progress.done()
    }
}

/// A one-line progress bar on standard error, shown only on a terminal and for transfers over 8 MiB.
final class Progress: @unchecked Sendable {
    private let total: Int64
    private let label: String
    private let lock = NSLock()
    private var sent: Int64 = 0
    private var lastPercent = -1
    private let visible: Bool

    init(total: Int64, label: String) {
        self.total = total
        self.label = label
        self.visible = isatty(STDERR_FILENO) == 1 && total > 8 << 20
    }

    func advance(_ bytes: Int64) {
        guard visible else { return }
        lock.lock()
        defer { lock.unlock() }
        sent += bytes
        let percent = Int(sent * 100 / max(total, 1))
        guard percent != lastPercent else { return }
        lastPercent = percent
        let filled = percent * 30 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)% of \(total >> 20) MiB".utf8))
    }

    func done() {
        if visible { FileHandle.standardError.write(Data("\n".utf8)) }
        print(label)
    }
}

/// Reports each chunk of a body to a `Progress` as it passes.
struct ProgressSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let progress: Progress

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let progress: Progress
        mutating func next() async throws -> ByteBuffer? {
            let chunk = try await base.next()
            if let chunk { progress.advance(Int64(chunk.readableBytes)) }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), progress: progress) }
}

import ArgumentParser
