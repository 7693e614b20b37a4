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
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes * 2)
        // Eight random bytes per call of the generator (one getrandom each), not one.
        var word: UInt64 = 0
        for index in 0..<bytes {
            if index % 8 == 0 { word = generator.next() }
            let byte = UInt8(truncatingIfNeeded: word >> (UInt64(index % 8) * 8))
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
