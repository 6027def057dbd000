import Foundation

/// Where an operation gets the current time (for expiry checks, validity windows and log lines; never for
/// anything written to a release, whose times come from the commit or `SOURCE_DATE_EPOCH`).
public protocol EngineClock: Sendable {
    func now() -> Date
}

/// The system's clock.
public struct SystemClock: EngineClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that always says the same time (tests, and verifying "as of" a given moment).
public struct FixedClock: EngineClock {
    public var date: Date
    public init(_ date: Date) { self.date = date }
    public func now() -> Date { date }
}
