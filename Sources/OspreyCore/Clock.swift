import Foundation

/// Tells the time. Injected so state machines and retention rules are testable without sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The system's clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Makes identifiers. Injected so tests can predict them.
public protocol IDGenerator: Sendable {
    /// A new random identifier: lowercase hex, `bytes * 2` characters.
    func hex(bytes: Int) -> String
}

/// Identifiers from the system's random number generator.
public struct RandomIDGenerator: IDGenerator {
    public init() {}
    public func hex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        text.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return text
    }
}
