import Foundation
import Glibc

/// A failed job's `FailureReason`, as SageMaker words it: `AlgorithmError: ` and then what the code wrote to
/// `/opt/ml/output/failure`, or else how the process ended and the last lines of its log.
public enum FailureReason {
    /// SageMaker's limit on `FailureReason`.
    public static let maxLength = 1024
    /// How many of the log's last non-empty lines are quoted.
    public static let tailLineCount = 10

    /// The reason for host folder `hostFolder`. Secrets are masked by `redactor` before the text is cut to `maxLength`
    /// characters: a failure file keeps its beginning, a log tail its end.
    public static func describe(
        hostFolder: String, logFile: String?, status: ExitStatus?, redactor: Redactor = Redactor(secrets: [])
    ) -> String {
        let prefix = "AlgorithmError: "
        if let data = FileManager.default.contents(atPath: hostFolder + "/output/failure") {
            let text = redactor.redact(String(decoding: data, as: UTF8.self)).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { return String((prefix + text).prefix(maxLength)) }
        }
        let head = prefix + (status.map { $0.description } ?? "the job failed")
        let tail = logFile.map { lastLines(of: $0) } ?? []
        guard !tail.isEmpty else { return String(head.prefix(maxLength)) }
        var body = redactor.redact(tail.joined(separator: "\n"))
        let room = maxLength - head.count - 1
        if body.count > room { body = "…" + body.suffix(max(0, room - 1)) }
        return String((head + "\n" + body).prefix(maxLength))
    }

    /// The last `tailLineCount` non-empty lines among the file's last 64 KiB.
    static func lastLines(of path: String, count: Int = tailLineCount) -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return [] }
        let size = Int(info.st_size)
        let start = max(0, size - 64 * 1024)
        var bytes = [UInt8](repeating: 0, count: size - start)
        let read = bytes.withUnsafeMutableBytes { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            return pread(fd, base, buffer.count, off_t(start))
        }
        guard read > 0 else { return [] }
        // Split bytes, not characters: Swift reads "\r\n" as one character.
        var lines = bytes[0..<read].split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        if start > 0, !lines.isEmpty { lines.removeFirst() }  // began mid-line
        // Keep indentation (tracebacks use it); drop trailing blanks and lines of blanks only.
        let trimmed = lines.map { line in String(line.reversed().drop(while: \.isWhitespace).reversed()) }
        return Array(trimmed.filter { !$0.isEmpty }.suffix(count))
    }
}
