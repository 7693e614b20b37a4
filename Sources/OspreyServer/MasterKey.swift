import Crypto
import Foundation
import OspreyCore

/// The key that seals secrets at rest: 32 random bytes in `<data-dir>/master.key`, mode 0600, made on first start.
enum MasterKey {
    static func loadOrCreate(dataDir: String) throws -> SymmetricKey {
        let path = dataDir + "/master.key"
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else {
                throw OspreyError(.internalError, "\(path) is damaged: it must hold exactly 32 bytes.")
            }
            return SymmetricKey(data: data)
        }
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        try writePrivateFile(path, data)
        return key
    }
}

/// Writes a file readable only by its owner (0600), atomically.
func writePrivateFile(_ path: String, _ data: Data) throws {
    let temporary = path + ".tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
        throw OspreyError(.internalError, "Cannot write \(temporary).")
    }
    guard rename(temporary, path) == 0 else {
        throw OspreyError(.internalError, "Cannot move \(temporary) to \(path): \(String(cString: strerror(errno))).")
    }
}
