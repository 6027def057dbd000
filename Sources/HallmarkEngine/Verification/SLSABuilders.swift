import Foundation
import HallmarkCore

/// The SLSA builders Hallmark trusts without being told, and how builder ids and tags match — as slsa-verifier
/// decides it (verifiers/internal/gha/builder.go and verifiers/utils/builder.go in slsa-framework/slsa-verifier).
public enum SLSABuilders {
    public static let generatorRepository = "https://github.com/slsa-framework/slsa-github-generator"
    static let workflows = generatorRepository + "/.github/workflows/"

    /// The slsa-github-generator reusable workflows slsa-verifier's `verify-artifact` trusts by default.
    public static let trustedArtifactBuilders: [String] = [
        workflows + "generator_generic_slsa3.yml",
        workflows + "builder_go_slsa3.yml",
        workflows + "builder_container-based_slsa3.yml",
    ]

    /// The "bring your own builder" delegators: the certificate names the delegator, the provenance the
    /// trusted reusable workflow that ran.
    public static let delegators: [String] = [
        workflows + "delegator_generic_slsa3.yml",
        workflows + "delegator_lowperms-generic_slsa3.yml",
    ]

    /// Every builder trusted without `--builder-id`.
    public static var trustedByDefault: [String] { trustedArtifactBuilders + delegators }

    /// A builder id: `NAME` or `NAME@VERSION` (one `@` at most; an empty version is malformed).
    public struct BuilderID: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var version: String?

        public init(parsing text: String) throws(HallmarkError) {
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            switch parts.count {
            case 1 where !text.isEmpty:
                name = text
                version = nil
            case 2 where !parts[0].isEmpty && !parts[1].isEmpty:
                name = String(parts[0])
                version = String(parts[1])
            default:
                throw .invalidInput("builder id \"\(text)\" is malformed: expected NAME or NAME@VERSION")
            }
        }

        /// A signer's workflow identity `NAME@REF`, split at its last `@`.
        init(workflowIdentity: String) {
            if let at = workflowIdentity.lastIndex(of: "@") {
                name = String(workflowIdentity[..<at])
                version = String(workflowIdentity[workflowIdentity.index(after: at)...])
            } else {
                name = workflowIdentity
                version = nil
            }
        }

        public var description: String { version.map { "\(name)@\($0)" } ?? name }

        /// slsa-verifier's `MatchesLoose` (allowRef): the names are equal, and `expected`'s version, when it has
        /// one, is this id's version or `refs/tags/` + it.
        public func matchesLoose(_ expected: BuilderID) -> Bool {
            guard name == expected.name else { return false }
            guard let wanted = expected.version else { return true }
            return wanted == version || "refs/tags/" + wanted == version
        }

        /// slsa-verifier's `MatchesFull` (allowRef): names equal and versions equal, `refs/tags/` + this id's
        /// version counting as equal to `expected`'s.
        public func matchesFull(_ expected: BuilderID) -> Bool {
            guard name == expected.name else { return false }
            return version == expected.version || (version.map { "refs/tags/" + $0 } == expected.version && expected.version != nil)
        }
    }

    /// Whether `ref` is `refs/tags/vX.Y.Z` (three numbers, no pre-release, no build metadata): the only refs the
    /// generator's workflows are trusted at.
    public static func isReleaseTagRef(_ ref: String) -> Bool {
        guard ref.hasPrefix("refs/tags/"), let version = GoSemver(String(ref.dropFirst("refs/tags/".count))) else { return false }
        return version.isFull && version.prerelease.isEmpty && version.build.isEmpty
    }

    /// `--source-versioned-tag`: whether the provenance's tag has the components the user wrote (slsa-verifier's
    /// `VerifyVersionedTag`): `v13` matches `v13.0.30`, `v14.0` matches `v14`, `v14.2.1` does not match `v14.2`.
    /// Throws a usage error when `expected` is not semver.
    public static func versionedTagMatches(provenanceTag: String, expected: String) throws(HallmarkError) -> Bool {
        guard GoSemver(expected) != nil else {
            throw .usage("--source-versioned-tag \(expected) is not a semantic version (vMAJOR[.MINOR[.PATCH[-PRE][+BUILD]]])")
        }
        guard let canonical = GoSemver(provenanceTag)?.canonical else { return false }
        let wanted = expected.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let got = canonical.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard GoSemver(expected)?.major == GoSemver(canonical)?.major else { return false }
        if wanted.count > 1 {
            guard got.count > 1, got[1] == wanted[1] else { return false }
        }
        if wanted.count > 2 {
            let build = GoSemver(expected)?.build ?? ""
            let expectedPatch = wanted[2].hasSuffix(build) ? String(wanted[2].dropLast(build.count)) : wanted[2]
            guard got.count > 2, got[2] == expectedPatch else { return false }
        }
        return true
    }
}

/// Semantic versions as Go's golang.org/x/mod/semver reads them: `v` then MAJOR[.MINOR[.PATCH[-PRE][+BUILD]]];
/// the shorthands `vMAJOR` and `vMAJOR.MINOR` take no suffixes.
struct GoSemver: Equatable {
    var major: String
    var minor: String?
    var patch: String?
    /// With its leading `-`, or empty.
    var prerelease: String
    /// With its leading `+`, or empty.
    var build: String

    var isFull: Bool { patch != nil }

    /// `vMAJOR.MINOR.PATCH[-PRE]`: shorthands filled with zeros, build metadata dropped.
    var canonical: String { "v\(major).\(minor ?? "0").\(patch ?? "0")\(prerelease)" }

    init?(_ text: String) {
        guard text.hasPrefix("v") else { return nil }
        var rest = Substring(text.dropFirst())
        func number() -> String? {
            let digits = rest.prefix(while: \.isASCIIDigit)
            guard !digits.isEmpty, digits == "0" || digits.first != "0" else { return nil }
            rest = rest.dropFirst(digits.count)
            return String(digits)
        }
        guard let major = number() else { return nil }
        self.major = major
        minor = nil
        patch = nil
        prerelease = ""
        build = ""
        if rest.isEmpty { return }
        guard rest.first == "." else { return nil }
        rest = rest.dropFirst()
        guard let minor = number() else { return nil }
        self.minor = minor
        if rest.isEmpty { return }
        guard rest.first == "." else { return nil }
        rest = rest.dropFirst()
        guard let patch = number() else { return nil }
        self.patch = patch
        if rest.first == "-" {
            let end = rest.firstIndex(of: "+") ?? rest.endIndex
            let identifiers = rest[rest.index(after: rest.startIndex)..<end]
            guard Self.validIdentifiers(identifiers, numericRule: true) else { return nil }
            prerelease = String(rest[..<end])
            rest = rest[end...]
        }
        if rest.first == "+" {
            guard Self.validIdentifiers(rest.dropFirst(), numericRule: false) else { return nil }
            build = String(rest)
            rest = rest.dropFirst(rest.count)
        }
        guard rest.isEmpty else { return nil }
    }

    /// Dot-separated, non-empty, [0-9A-Za-z-]; pre-release numbers without leading zeros.
    static func validIdentifiers(_ text: Substring, numericRule: Bool) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return !text.isEmpty && parts.allSatisfy { part in
            guard !part.isEmpty, part.allSatisfy({ $0.isASCIIDigit || $0.isASCIILetter || $0 == "-" }) else { return false }
            if numericRule, part.allSatisfy(\.isASCIIDigit), part.count > 1, part.first == "0" { return false }
            return true
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetter: Bool { isASCII && isLetter }
}
