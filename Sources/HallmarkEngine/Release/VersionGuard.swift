import Foundation
import HallmarkCore

/// `hallmark version-guard`: is this version fit to release from this work tree?
public struct VersionGuard: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Options: Sendable {
        public var requireV = false
        public var matchRef = false
        public var requireTag = false
        public var allowDirty = false
        /// Paths (relative to the repository root) whose changes do not count, such as the release output.
        public var ignoredPaths: [String] = []

        public init(requireV: Bool = false, matchRef: Bool = false, requireTag: Bool = false, allowDirty: Bool = false, ignoredPaths: [String] = []) {
            self.ignoredPaths = ignoredPaths
            self.requireV = requireV
            self.matchRef = matchRef
            self.requireTag = requireTag
            self.allowDirty = allowDirty
        }
    }

    public struct Check: Codable, Sendable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public struct Report: Codable, Sendable {
        public var version: String
        public var semver: String?
        public var prerelease: Bool?
        public var commit: String?
        public var passed: Bool
        public var checks: [Check]

        public var failures: [Check] { checks.filter { !$0.passed } }
    }

    /// The ref CI says it is building, from the variables GitHub Actions, GitLab CI and others set.
    func ciRef() -> String? {
        context.settings.ci.tagBeingBuilt
    }

    /// Runs every check and reports each; `directory` is the work tree.
    public func check(version: String, directory: String, options: Options) throws(HallmarkError) -> Report {
        // git reads the repository's own config, which can name programs to run (core.fsmonitor…).
        try context.requireCommands("version-guard (it runs git in the work tree)")
        var checks: [Check] = []
        var semver: SemanticVersion?
        do {
            semver = try SemanticVersion(parsing: version)
            checks.append(Check(name: "semver", passed: true, detail: "\(version) is a semantic version"))
        } catch {
            checks.append(Check(name: "semver", passed: false, detail: error.message))
        }
        if options.requireV {
            let ok = version.hasPrefix("v")
            checks.append(Check(name: "v-prefix", passed: ok, detail: ok ? "starts with v" : "\(version) must start with \"v\" (e.g. v\(version))"))
        }
        let git = GitRepository(directory: try context.resolve(directory), environment: context.processEnvironment)
        let commit = git.headCommit
        if commit == nil {
            checks.append(Check(name: "git", passed: false, detail: "\(directory) is not a git work tree with a commit; commit your source first"))
        }
        if options.matchRef {
            if let ref = ciRef() {
                checks.append(Check(name: "match-ref", passed: ref == version, detail: ref == version
                    ? "equals the tag CI is building (\(ref))" : "the tag being built is \(ref), not \(version)"))
            } else {
                let tags = git.tagsAtHead
                checks.append(Check(name: "match-ref", passed: tags.contains(version), detail: tags.contains(version)
                    ? "HEAD is tagged \(version)"
                    : (tags.isEmpty ? "HEAD has no tag; tag it with `git tag \(version)`" : "HEAD is tagged \(tags.joined(separator: ", ")), not \(version)")))
            }
        }
        if options.requireTag, commit != nil {
            if let tagged = git.tagCommit(version) {
                let ok = tagged == commit
                checks.append(Check(name: "tag", passed: ok, detail: ok
                    ? "tag \(version) points at HEAD"
                    : "tag \(version) points at \(tagged.prefix(12)), but HEAD is \(commit!.prefix(12)); check out the tag to release it"))
            } else {
                checks.append(Check(name: "tag", passed: false, detail: "there is no tag \(version); create it with `git tag \(version)` (or pass --dry-run)"))
            }
        }
        if commit != nil {
            let dirty = try git.statusLines(excluding: options.ignoredPaths)
            if dirty.isEmpty {
                checks.append(Check(name: "clean", passed: true, detail: "the work tree is clean"))
            } else {
                let sample = dirty.prefix(3).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; ")
                checks.append(Check(
                    name: "clean", passed: options.allowDirty,
                    detail: "the work tree has \(dirty.count) uncommitted change\(dirty.count == 1 ? "" : "s") (\(sample))"
                        + (options.allowDirty ? ", allowed by --allow-dirty" : "; commit or stash them, or pass --allow-dirty")))
            }
        }
        return Report(
            version: version, semver: semver?.bare, prerelease: semver?.isPrerelease, commit: commit,
            passed: checks.allSatisfy(\.passed), checks: checks)
    }
}
