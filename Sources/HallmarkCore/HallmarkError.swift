/// An error raised by Hallmark's libraries: a stable code the edges map to exit codes or HTTP statuses,
/// and a one-line message that says what failed, where, and what to do next.
public struct HallmarkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, extensible error code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The command line was wrong: a missing or contradictory flag.
        public static let usage = Code(rawValue: "usage")
        /// An input file or value was malformed, unsupported or unsafe.
        public static let invalidInput = Code(rawValue: "invalid-input")
        /// A file could not be read or written.
        public static let io = Code(rawValue: "io")
        /// A key could not be loaded (garbage, truncated, wrong passphrase, unsupported algorithm).
        public static let invalidKey = Code(rawValue: "invalid-key")
        /// Something was checked and found wrong: a digest, a signature, a missing or extra file.
        public static let verificationFailed = Code(rawValue: "verification-failed")

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    /// For malformed inputs on a verification path: the problem code a report names (`bundle.malformed`,
    /// `certificate.unparsable`…).
    public var problem: ProblemCode?

    public init(_ code: Code, _ message: String, problem: ProblemCode? = nil) {
        self.code = code
        self.message = message
        self.problem = problem
    }

    public var description: String { message }

    /// Equality is on the code alone, so tests and callers can match on what kind of failure it was.
    public static func == (lhs: HallmarkError, rhs: HallmarkError) -> Bool { lhs.code == rhs.code }

    public static func usage(_ message: String) -> HallmarkError { .init(.usage, message) }
    public static func invalidInput(_ message: String, problem: ProblemCode? = nil) -> HallmarkError {
        .init(.invalidInput, message, problem: problem)
    }
    public static func io(_ message: String) -> HallmarkError { .init(.io, message) }
    public static func invalidKey(_ message: String) -> HallmarkError { .init(.invalidKey, message) }
    public static func verificationFailed(_ message: String, problem: ProblemCode? = nil) -> HallmarkError {
        .init(.verificationFailed, message, problem: problem)
    }

    /// A verification that failed, carried as an error: its first problem's message and code.
    public static func verificationFailed(_ problems: [VerificationProblem], subject: String) -> HallmarkError {
        let first = problems.first
        let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
        return .init(.verificationFailed, "\(subject): \(first?.message ?? "verification failed")\(more)", problem: first?.code)
    }
}
