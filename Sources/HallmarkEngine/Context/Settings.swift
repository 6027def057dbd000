import Foundation
import HallmarkCore

/// The settings an operation may use, resolved once from the environment when the context is made (the command
/// line does it at start-up; a server from its own configuration) and plain values after that. This is the only
/// place that knows which environment variables Hallmark reads; DESIGN.md lists them.
public struct Settings: Sendable {
    /// The environment given to programs Hallmark starts (builds, tests, smoke tests, git, credential helpers).
    public var processEnvironment: [String: String]
    /// Values `env://NAME` key references may name (the command line: its environment; a server: none).
    public var keyVariables: [String: String]
    /// `HALLMARK_KEY_PASSWORD`: the passphrase of an encrypted private key.
    public var keyPassphrase: String?
    /// Whether `HALLMARK_SIGNING_KEY` holds a key (used when a command is given no `--key`).
    public var signingKeyInEnvironment: Bool
    /// Where the installed Sigstore trusted root lives: `HALLMARK_TRUST_DIR`, else `$XDG_CONFIG_HOME/hallmark`,
    /// else `~/.config/hallmark`; nil when none of them is set.
    public var trustedRootPath: String?
    /// Docker's client configuration: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    public var dockerConfigPath: String?
    /// `SOURCE_DATE_EPOCH`, when set and not empty.
    public var sourceDateEpoch: String?
    /// What the CI system says about the build.
    public var ci: CISettings
    /// How many jobs to run at once by default (builds, hashing, compression).
    public var processorCount: Int
    /// `HALLMARK_STORE`: the evidence store (`sqlite:PATH` or `postgres://…`) when a command is given no `--store`.
    public var evidenceStore: String?
    /// `HALLMARK_LOG_KEY`: the evidence log's signing key (a PEM file) when a command is given no `--log-key`.
    public var logKeyPath: String?
    /// `HALLMARK_EVIDENCE_ARTIFACT_ROOT`: where `hallmark serve` finds records' files when given no `--artifact-root`.
    public var evidenceArtifactRoot: String?
    /// `HALLMARK_TOKEN`: the API token commands that talk to `hallmark serve` send when given no `--token`.
    public var apiToken: String?
    /// A test build's crash point (`HALLMARK_FAILPOINT`); release builds never read it.
    public var failpoint: String?

    /// Settings from `environment`, with nothing else assumed.
    public init(environment: [String: String], processorCount: Int = ProcessInfo.processInfo.activeProcessorCount) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        processEnvironment = environment
        keyVariables = environment
        keyPassphrase = environment["HALLMARK_KEY_PASSWORD"]
        signingKeyInEnvironment = value(EnvironmentKeyProvider.signingKeyVariable) != nil
        if let dir = value("HALLMARK_TRUST_DIR") {
            trustedRootPath = dir + "/trusted_root.json"
        } else if let xdg = value("XDG_CONFIG_HOME") {
            trustedRootPath = xdg + "/hallmark/trusted_root.json"
        } else {
            trustedRootPath = value("HOME").map { $0 + "/.config/hallmark/trusted_root.json" }
        }
        if let directory = value("DOCKER_CONFIG") {
            dockerConfigPath = directory + "/config.json"
        } else {
            dockerConfigPath = value("HOME").map { $0 + "/.docker/config.json" }
        }
        sourceDateEpoch = value("SOURCE_DATE_EPOCH")
        evidenceStore = value("HALLMARK_STORE")
        logKeyPath = value("HALLMARK_LOG_KEY")
        evidenceArtifactRoot = value("HALLMARK_EVIDENCE_ARTIFACT_ROOT")
        apiToken = value("HALLMARK_TOKEN")
        ci = CISettings(environment: environment)
        self.processorCount = max(1, processorCount)
        #if DEBUG
        failpoint = value("HALLMARK_FAILPOINT")
        #else
        failpoint = nil
        #endif
    }
}

/// The variables CI systems set that Hallmark records or checks (GitHub Actions and GitLab CI).
public struct CISettings: Sendable, Equatable {
    /// GitLab's `CI_COMMIT_TAG`.
    public var commitTag: String?
    /// `GITHUB_REF`, `GITHUB_REF_TYPE`, `GITHUB_REF_NAME`, `GITHUB_WORKFLOW_REF`.
    public var githubRef: String?
    public var githubRefType: String?
    public var githubRefName: String?
    public var githubWorkflowRef: String?
    /// `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_RUN_ID`, `GITHUB_RUN_ATTEMPT`: a run's address.
    public var githubServerURL: String?
    public var githubRepository: String?
    public var githubRunID: String?
    public var githubRunAttempt: String?

    public init(environment: [String: String]) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        commitTag = value("CI_COMMIT_TAG")
        githubRef = value("GITHUB_REF")
        githubRefType = environment["GITHUB_REF_TYPE"]
        githubRefName = value("GITHUB_REF_NAME")
        githubWorkflowRef = value("GITHUB_WORKFLOW_REF")
        githubServerURL = environment["GITHUB_SERVER_URL"]
        githubRepository = environment["GITHUB_REPOSITORY"]
        githubRunID = environment["GITHUB_RUN_ID"]
        githubRunAttempt = environment["GITHUB_RUN_ATTEMPT"]
    }

    /// The ref CI says it is building: a GitLab tag, a GitHub tag name, or the tag in `GITHUB_REF`.
    public var tagBeingBuilt: String? {
        if let commitTag { return commitTag }
        if githubRefType == "tag", let githubRefName { return githubRefName }
        if let ref = githubRef, ref.hasPrefix("refs/tags/") { return String(ref.dropFirst("refs/tags/".count)) }
        return nil
    }

    /// The URL of the GitHub Actions run attempt, when the variables name one.
    public var githubRunURL: String? {
        guard let server = githubServerURL, let repository = githubRepository, let run = githubRunID else { return nil }
        return "\(server)/\(repository)/actions/runs/\(run)/attempts/\(githubRunAttempt ?? "1")"
    }
}
