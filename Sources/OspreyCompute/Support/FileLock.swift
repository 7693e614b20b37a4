import Glibc
import OspreyCore

/// An exclusive `flock` on a lock file, held across processes and across tasks of this one (each holder opens the file
/// itself, and `flock` locks belong to the open file). Taken on a dedicated thread, since it may block for seconds.
enum FileLock {
    /// Runs `body` while holding the lock on `path` (created when missing). Throws `.internalError` when the file
    /// cannot be opened or locked.
    static func withLock<T: Sendable>(_ path: String, _ body: () async throws -> T) async throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw OspreyError(.internalError, "Cannot open the lock file \(path): \(String(cString: strerror(errno))).")
        }
        defer { close(fd) }  // closing releases the lock
        let locked = await DedicatedThread.run("osprey-lock") { () -> Int32 in
            while true {
                if flock(fd, LOCK_EX) == 0 { return 0 }
                if errno != EINTR { return errno }
            }
        }
        guard locked == 0 else {
            throw OspreyError(.internalError, "Cannot lock \(path): \(String(cString: strerror(locked))).")
        }
        return try await body()
    }
}
