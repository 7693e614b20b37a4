import Foundation
import OspreyCore

/// gzip-compressed tar archives, through the system's `tar`, with every entry checked before anything is extracted.
public enum TarArchive {
    /// Packs the contents of `folder` (not the folder itself) into `archive`.
    static func pack(folder: String, into archive: String) throws {
        try run(["tar", "-czf", archive, "-C", folder, "."], what: "pack \(folder)")
    }

    /// Extracts `archive` into `folder`. Throws `.validation` naming the first entry that would land outside `folder`
    /// (an absolute path, a `..` segment, a link pointing out, a device) — and then nothing is written.
    public static func extract(_ archive: String, into folder: String) throws {
        let listing = try run(["tar", "-tzvf", archive], what: "read \(archive)")
        for line in listing.split(separator: "\n") where !line.isEmpty {
            try check(entry: String(line))
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try run(["tar", "-xzf", archive, "-C", folder, "--no-same-owner", "--no-same-permissions"], what: "extract \(archive)")
    }

    /// Checks one line of `tar -tzvf`: `-rw-r--r-- user/group size date time name[ -> target | link to target]`.
    static func check(entry line: String) throws {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count == 6, let kind = fields[0].first else {
            throw OspreyError(.validation, "The archive has an entry tar cannot describe: \(line)")
        }
        var name = String(fields[5])
        var target: String?
        if kind == "l", let arrow = name.range(of: " -> ") {
            target = String(name[arrow.upperBound...])
            name = String(name[..<arrow.lowerBound])
        } else if kind == "h", let link = name.range(of: " link to ") {
            target = String(name[link.upperBound...])
            name = String(name[..<link.lowerBound])
        }
        func refuse(_ why: String) -> OspreyError {
            OspreyError(.validation, "The archive entry '\(name)' \(why); nothing was extracted.")
        }
        guard ["-", "d", "l", "h"].contains(kind) else { throw refuse("is not a file, folder or link") }
        // The archive's root folder as `/`: the SageMaker SDK repacks models with `tar.add(dir, arcname="/")`, and tar
        // extracts that entry as the target folder itself.
        if kind == "d", name.allSatisfy({ $0 == "/" }) { return }
        guard !name.hasPrefix("/") else { throw refuse("has an absolute path") }
        guard !escapes(name, from: "") else { throw refuse("would land outside its folder") }
        if let target {
            guard !target.hasPrefix("/") else { throw refuse("links to an absolute path (\(target))") }
            // A symbolic link resolves from its own folder; a hard link names a path from the archive's root.
            let base = kind == "l" ? (name as NSString).deletingLastPathComponent : ""
            guard !escapes(target, from: base) else { throw refuse("links outside its folder (\(target))") }
        }
    }

    /// Whether `path`, taken relative to `base`, climbs above the root.
    static func escapes(_ path: String, from base: String) -> Bool {
        var depth = 0
        for part in (base + "/" + path).split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                depth -= 1
                if depth < 0 { return true }
            default: depth += 1
            }
        }
        return false
    }

    @discardableResult
    private static func run(_ arguments: [String], what: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let detail = String(decoding: problems, as: UTF8.self).split(separator: "\n").prefix(3).joined(separator: "; ")
            throw OspreyError(.validation, "Cannot \(what): \(detail)")
        }
        return String(decoding: text, as: UTF8.self)
    }
}
