/// One thing a verification found wrong: a stable code, a one-line message that says what and what to do, and
/// the file it concerns.
public struct VerificationProblem: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    public var code: ProblemCode
    public var message: String
    /// The file (or URL, or zip member) the problem concerns, when there is one.
    public var file: String?

    public init(_ code: ProblemCode, _ message: String, file: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
    }

    /// `message [code]`.
    public var description: String { "\(message) [\(code.rawValue)]" }
}

/// The version of every verification report Hallmark prints or writes (`--format json`, `remote-verify.json`):
/// `schemaVersion`, `verified`, and `problems` as `{code, message, file}` objects, beside each report's own fields.
public enum VerificationReportSchema {
    public static let version = 1
}

/// The result of a verification: the verified value, which only the verifier can build and only from the pieces
/// its required checks produced, or the problems that stopped it.
public enum Verdict<Verified: Sendable>: Sendable {
    case verified(Verified)
    case failed([VerificationProblem])

    public var isVerified: Bool {
        if case .verified = self { return true }
        return false
    }

    /// The verified value, or nil.
    public var value: Verified? {
        if case .verified(let value) = self { return value }
        return nil
    }

    public var problems: [VerificationProblem] {
        if case .failed(let problems) = self { return problems }
        return []
    }
}

/// Problems collected while checks run. A verification ends in ``verdict(_:)``: verified only when no check
/// recorded a problem *and* every required piece could be assembled; a piece that is missing without a
/// recorded reason is a failure too (`verification.incomplete`), never a pass.
public struct ProblemList: Sendable {
    public private(set) var all: [VerificationProblem] = []

    public init() {}

    public var isEmpty: Bool { all.isEmpty }
    public var codes: [ProblemCode] { all.map(\.code) }

    public mutating func add(_ code: ProblemCode, _ message: String, file: String? = nil) {
        let problem = VerificationProblem(code, message, file: file)
        if !all.contains(problem) { all.append(problem) }
    }

    public mutating func add(_ problem: VerificationProblem) {
        if !all.contains(problem) { all.append(problem) }
    }

    public mutating func add(contentsOf problems: [VerificationProblem]) {
        for problem in problems { add(problem) }
    }

    /// Records a problem and returns nil: for `guard let piece = … ?? problems.fail(…)`.
    public mutating func fail<T>(_ code: ProblemCode, _ message: String, file: String? = nil) -> T? {
        add(code, message, file: file)
        return nil
    }

    /// The verdict: `.failed` when any problem was recorded or `assemble` cannot build the verified value from
    /// the pieces it needs.
    public func verdict<V: Sendable>(_ assemble: () -> V?, subject: String = "the verification", file: String? = nil) -> Verdict<V> {
        if !all.isEmpty { return .failed(all) }
        guard let value = assemble() else {
            return .failed([VerificationProblem(
                .verificationIncomplete, "\(subject): a required check produced no result and no reason; treat it as failed and report it",
                file: file)])
        }
        return .verified(value)
    }
}
