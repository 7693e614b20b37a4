/// Replaces secret values with `****` in text bound for logs, events and failure reasons.
///
/// Matching is on exact bytes; where secrets overlap, the longest one at a position wins. Empty secrets are ignored.
public struct Redactor: Sendable {
    public static let mask = "****"
    private let secrets: [[UInt8]]

    public init(secrets: some Sequence<String>) {
        self.secrets = Set(secrets.filter { !$0.isEmpty }).map { Array($0.utf8) }.sorted { $0.count > $1.count }
    }

    /// True when there is nothing to redact.
    public var isEmpty: Bool { secrets.isEmpty }

    /// `text` with every occurrence of every secret replaced by `****`, the rest kept.
    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        scan: while index < bytes.count {
            for secret in secrets where secret[0] == bytes[index] && index + secret.count <= bytes.count {
                if bytes[index..<index + secret.count].elementsEqual(secret) {
                    out.append(contentsOf: Self.mask.utf8)
                    index += secret.count
                    changed = true
                    continue scan
                }
            }
            out.append(bytes[index])
            index += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }
}
