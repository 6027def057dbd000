import Foundation
import HallmarkCore
import HallmarkCrypto
@testable import HallmarkEngine
import HallmarkTestSupport
import Testing

@Suite("Release steps up to the archives, each on a prepared state")
struct ReleaseStepsTests {
    @Test func guardStepPassesATaggedCommitAndStopsAtAMissingTag() throws {
        var tagged = try StepFixture(.init(version: "v1.0.0"), committed: true)
        let head = try GitFixture.git(["rev-parse", "HEAD"], in: tagged.project)
        #expect(try tagged.run(GuardStep()) == "v1.0.0 at \(head.prefix(12))")
        #expect(tagged.state.guardReport?.passed == true)

        var untagged = try StepFixture(.init(version: "v1.0.1"), committed: true)
        #expect { try untagged.run(GuardStep()) } throws: {
            ($0 as? HallmarkError)?.message.hasPrefix("version-guard: there is no tag v1.0.1") == true
        }
        // A dry run warns about the tag, but not about a version that is no version at all.
        var dry = try StepFixture(.init(version: "v1.0.1", dryRun: true), committed: true)
        try dry.run(GuardStep())
        #expect(
            dry.state.warnings.count == 1
                && dry.state.warnings[0].hasPrefix("version-guard (ignored in a dry run): there is no tag v1.0.1"))
        #expect(dry.events.all == ["warning: " + dry.state.warnings[0]])
        var notSemver = try StepFixture(.init(version: "1.0", dryRun: true), committed: true)
        #expect { try notSemver.run(GuardStep()) } throws: {
            ($0 as? HallmarkError)?.message.contains("\"1.0\" is not a semantic version") == true
        }
    }

    @Test func sourceStepStatesTheCommitTheDateAndTheRef() throws {
        var fixture = try StepFixture(committed: true)
        try fixture.run(GuardStep())
        try fixture.run(SourceStep())
        let source = try #require(fixture.state.source)
        #expect(source.commit == (try GitFixture.git(["rev-parse", "HEAD"], in: fixture.project)))
        #expect(source.sourceDateEpoch == 1_700_000_000)
        #expect(source.ref == "refs/tags/v1.0.0")
        #expect(source.repository == "https://github.com/example/tiny")
        #expect(source.workingDirectory == "." && source.configRelative == "hallmark.yml")

        var pinned = try StepFixture(
            environment: [
                "SOURCE_DATE_EPOCH": "42",
                "GITHUB_WORKFLOW_REF": "example/tiny/.github/workflows/r.yml@refs/tags/v1.0.0",
            ], committed: true)
        try pinned.run([GuardStep(), SourceStep()])
        #expect(pinned.state.source?.sourceDateEpoch == 42)
        #expect(pinned.state.source?.workflowRef == "example/tiny/.github/workflows/r.yml@refs/tags/v1.0.0")
        var garbled = try StepFixture(environment: ["SOURCE_DATE_EPOCH": "yesterday"], committed: true)
        try garbled.run(GuardStep())
        #expect { try garbled.run(SourceStep()) } throws: {
            ($0 as? HallmarkError)?.message == "SOURCE_DATE_EPOCH=yesterday is not a number of seconds"
        }
    }

    @Test func signingKeyStepResolvesTheKeyOrFailsFast() throws {
        var dry = try StepFixture(.init(version: "v1.0.0", dryRun: true))
        #expect(try dry.run(SigningKeyStep()) == "none (dry run)")
        #expect(dry.state.signing?.signed == false)

        var withKey = try StepFixture(.init(version: "v1.0.0", keyReference: "release.key"))
        try withKey.dir.write("project/release.key", Fixtures.ed25519PEM)
        try withKey.run(SigningKeyStep())
        #expect(withKey.state.signing?.key?.publicKey.keyID == (try Fixtures.ed25519Key()).publicKey.keyID)

        var without = try StepFixture(.init(version: "v1.0.0"))
        #expect { try without.run(SigningKeyStep()) } throws: {
            let error = $0 as? HallmarkError
            return error?.code == .usage
                && error?.message.hasPrefix("signing is required for a release: pass --key PATH") == true
        }
        var unset = try StepFixture(.init(version: "v1.0.0", keyReference: "env://NOT_SET_HERE"))
        #expect { try unset.run(SigningKeyStep()) } throws: {
            ($0 as? HallmarkError)?.message.hasPrefix("signing is required for a release, but env://NOT_SET_HERE")
                == true
        }
    }

    @Test func workspaceStepEmptiesTheWorkDirectoryAndChecksOutTheCommit() throws {
        var fixture = try StepFixture(.init(version: "v1.0.0", dryRun: true), committed: true)
        try fixture.dir.write("project/dist/.hallmark-work/v1.0.0/left-over.txt", "from a killed run")
        try fixture.dir.write("project/scratch.txt", "not committed")
        try fixture.run([GuardStep(), SourceStep()])
        defer { fixture.state.workspace?.tree.remove() }
        try fixture.run(WorkspaceStep())
        let workspace = try #require(fixture.state.workspace)
        #expect(workspace.releaseDirectory == fixture.project + "/dist/v1.0.0")
        #expect(FileIO.isDirectory(workspace.staging) && FileIO.isDirectory(workspace.logs))
        #expect(!fixture.dir.exists("project/dist/.hallmark-work/v1.0.0/left-over.txt"))
        #expect(workspace.tree.root == BuildTree.prefix + String(fixture.state.source?.commit.prefix(12) ?? "?"))
        #expect(FileIO.isFile(workspace.sourceDirectory + "/hallmark.yml"))
        #expect(!FileIO.isFile(workspace.sourceDirectory + "/scratch.txt"))
        #expect(fixture.state.warnings.last?.hasSuffix("as committed: uncommitted changes are not built") == true)
    }

    @Test func testStepRunsTheCommandInTheCheckout() throws {
        var fixture = try StepFixture()
        #expect(try fixture.run(TestStep()) == "printf tested > tested.txt")
        #expect(fixture.checkout.exists("src/tested.txt") && !fixture.dir.exists("project/tested.txt"))

        var skipped = try StepFixture(.init(version: "v1.0.0", dryRun: true, skipTests: true))
        #expect(try skipped.run(TestStep()) == "skipped (--skip-tests)")
        var none = try StepFixture(
            config: StepFixture.config.replacingOccurrences(of: "test: printf tested > tested.txt\n", with: ""))
        #expect(try none.run(TestStep()) == "no test command configured")

        var failing = try StepFixture(
            config: StepFixture.config.replacingOccurrences(
                of: "test: printf tested > tested.txt", with: "test: echo red; exit 3"))
        let log = failing.workspace.logs + "/test.log"
        #expect { try failing.run(TestStep()) } throws: {
            let error = $0 as? HallmarkError
            return error?.code == .invalidInput && error?.message == "the test command failed (exit 3); see \(log)"
        }
        #expect(failing.events.all.first == "tail: \(log)")
    }

    @Test func buildPlanStepRendersEveryTarget() throws {
        var fixture = try StepFixture()
        #expect(try fixture.run(BuildPlanStep()) == "2 jobs")
        let plan = try #require(fixture.state.buildPlan)
        #expect(
            plan.jobs.map(\.command) == [
                "printf 'tiny v1.0.0 linux/amd64' > ../out/tiny/linux_amd64/tiny",
                "printf 'tiny v1.0.0 windows/amd64' > ../out/tiny/windows_amd64/tiny.exe",
            ])
        #expect(plan.jobs[1].environment["HALLMARK_OUTPUT"] == "../out/tiny/windows_amd64/tiny.exe")
        #expect(plan.jobs[0].log == fixture.workspace.logs + "/tiny_linux_amd64.log")
        #expect(
            plan.pinnedEnvironment == [
                "SOURCE_DATE_EPOCH": "1700000000", "TZ": "UTC", "LC_ALL": "C", "HALLMARK_VERSION": "v1.0.0",
                "HALLMARK_COMMIT": StepFixture.commit,
            ])
        #expect(plan.processEnvironment["HALLMARK_BUILD_ROOT"] == fixture.workspace.tree.source)
        #expect(plan.baseValues["semver"] == "1.0.0" && plan.baseValues["short_commit"] == "0123456789ab")

        var selected = try StepFixture(
            .init(version: "v1.0.0", dryRun: true, targets: [Platform(os: "windows", arch: "amd64")]))
        try selected.run(BuildPlanStep())
        #expect(selected.state.buildPlan?.jobs.map(\.platform.description) == ["windows/amd64"])
        var missing = try StepFixture(
            config: StepFixture.config.replacingOccurrences(
                of: "binary: tiny\n", with: "binary: tiny\n    dir: nowhere\n"))
        #expect { try missing.run(BuildPlanStep()) } throws: {
            ($0 as? HallmarkError)?.message == "hallmark.yml: build tiny: dir \"nowhere\" does not exist"
        }
    }

    @Test func buildStepBuildsAndHashesEveryBinary() throws {
        var fixture = try StepFixture()
        try fixture.run(BuildPlanStep())
        #expect(try fixture.run(BuildStep()) == "2 targets")
        let binaries = try #require(fixture.state.binaries)
        #expect(binaries.map(\.pathInArchive) == ["tiny", "tiny.exe"])
        #expect(binaries[0].sha256 == StepFixture.sha256("tiny v1.0.0 linux/amd64"))
        #expect(binaries[1].size == UInt64("tiny v1.0.0 windows/amd64".utf8.count))
        #expect(Set(fixture.events.all) == ["build tiny linux/amd64 ok", "build tiny windows/amd64 ok"])

        var failing = try StepFixture(
            config: StepFixture.config.replacingOccurrences(of: "command: \"printf", with: "command: \"exit 5; printf"))
        try failing.run(BuildPlanStep())
        #expect { try failing.run(BuildStep()) } throws: {
            let message = ($0 as? HallmarkError)?.message ?? ""
            return message.hasPrefix("build tiny for linux/amd64 failed (exit 5)")
                && message.hasSuffix("(and 1 more failed builds)")
        }
        #expect(
            failing.events.all.filter { $0.hasPrefix("tail: ") } == [
                "tail: \(failing.workspace.logs)/tiny_linux_amd64.log"
            ])
        #expect(failing.state.binaries == nil)
    }

    @Test func archivePlanStepNamesEachArchiveAndRefusesUnsafeOnes() throws {
        var fixture = try StepFixture()
        try fixture.run([BuildPlanStep(), BuildStep()])
        #expect(try fixture.run(ArchivePlanStep()) == "2 archives")
        #expect(
            fixture.state.archivePlan?.jobs.map(\.name) == [
                "tiny_1.0.0_linux_amd64.tar.gz", "tiny_1.0.0_windows_amd64.zip",
            ])
        #expect(fixture.state.archivePlan?.extraFiles == ["README.md"])

        let refusals = [
            (
                "name: \"{{ project }}_", "name: \"../{{ project }}_",
                "which is not a plain file name inside the release directory"
            ),
            (
                "formats: { windows: zip }\n  name: \"{{ project }}_{{ semver }}_{{ os }}_{{ arch }}\"",
                "formats: { windows: tar.gz }\n  name: \"{{ project }}\"",
                "archives.name gives \"tiny.tar.gz\" to two targets"
            ),
            (
                "files: [README.md]", "files: [README.md, NOTICE]",
                "archives.files lists NOTICE, which is not in commit 0123456789ab"
            ),
        ]
        for (original, replacement, expected) in refusals {
            var refused = try StepFixture(
                config: StepFixture.config.replacingOccurrences(of: original, with: replacement))
            try refused.run([BuildPlanStep(), BuildStep()])
            #expect { try refused.run(ArchivePlanStep()) } throws: {
                ($0 as? HallmarkError)?.message.contains(expected) == true
            }
        }
    }

    @Test func archiveStepWritesAndHashesTheArchives() throws {
        var fixture = try StepFixture()
        try fixture.run([BuildPlanStep(), BuildStep(), ArchivePlanStep()])
        let detail = try fixture.run(ArchiveStep())
        #expect(detail.hasPrefix("2 archives, "))
        let artifacts = try #require(fixture.state.artifacts)
        for artifact in artifacts {
            let path = fixture.workspace.staging + "/" + artifact.archive
            #expect(
                try FileHasher.hexDigest(ofFileAt: path, algorithm: .sha256, display: artifact.archive)
                    == artifact.archiveSha256)
            #expect(
                fixture.state.files.records[artifact.archive]
                    == .init(sha256: artifact.archiveSha256, size: artifact.archiveSize))
        }
        #expect(artifacts.map(\.format) == ["tar.gz", "zip"])
        #expect(artifacts[0].binarySha256 == StepFixture.sha256("tiny v1.0.0 linux/amd64"))
        // The same inputs give the same bytes.
        let first = artifacts.map(\.archiveSha256)
        try fixture.run(ArchiveStep())
        #expect(fixture.state.artifacts?.map(\.archiveSha256) == first)
    }

    @Test func factsStepGathersWhatTheDescriptionsState() throws {
        var fixture = try StepFixture()
        try fixture.run(StepFixture.throughArchives)
        try fixture.run(FactsStep())
        let facts = try #require(fixture.state.facts)
        #expect(facts.builderID == "https://hallmark.dev/builders/local")
        #expect(facts.supplier == "Organization: example")
        #expect(facts.invocationID.hasPrefix("urn:hallmark:invocation:") && facts.invocationID.count == 24 + 32)
        #expect(facts.tools["hallmark"] == VersionInfo.releaseVersion && facts.tools["git"] != nil)
        #expect(facts.artifacts.map(\.archive) == fixture.state.artifacts?.map(\.archive))
        #expect(
            fixture.state.warnings == [
                "provenance.tools: `hallmark-no-such-tool --version` did not run; its version is not recorded"
            ])

        var onCI = try StepFixture(environment: [
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "example/tiny", "GITHUB_RUN_ID": "7",
        ])
        try onCI.run(StepFixture.throughFacts)
        #expect(onCI.state.facts?.invocationID == "https://github.com/example/tiny/actions/runs/7/attempts/1")
        var lockless = try StepFixture(config: StepFixture.config + "sbom:\n  lockfiles: [missing.lock]\n")
        try lockless.run(StepFixture.throughArchives)
        #expect { try lockless.run(FactsStep()) } throws: {
            ($0 as? HallmarkError)?.message == "missing.lock: the lockfile named in sbom.lockfiles does not exist"
        }
    }
}

/// A tiny project whose "build" prints one line per target, and a release state prepared by hand around it: the
/// config loaded, the guard passed, the source stated, a signing choice made, and a checkout that is a plain copy
/// of the project (under `/tmp/hallmark-build-…`, as reproducibility.json requires). Each step then runs on its
/// own, without git, a compiler or the steps before it.
struct StepFixture {
    static let commit = "0123456789abcdef0123456789abcdef01234567"
    static let config = """
        version: 1
        project:
          name: tiny
          license: MIT
          repository: https://github.com/example/tiny
        test: printf tested > tested.txt
        builds:
          - id: tiny
            binary: tiny
            command: "printf 'tiny {{ version }} {{ os }}/{{ arch }}' > {{ output }}"
            targets: [linux/amd64, windows/amd64]
        archives:
          format: tar.gz
          formats: { windows: zip }
          name: "{{ project }}_{{ semver }}_{{ os }}_{{ arch }}"
          files: [README.md]
        provenance:
          tools: [hallmark-no-such-tool]
        dist: dist

        """

    /// The steps that take the prepared state to each later point.
    static let throughArchives: [any ReleaseStep] = [BuildPlanStep(), BuildStep(), ArchivePlanStep(), ArchiveStep()]
    static let throughFacts = throughArchives + [FactsStep()]
    static let throughProvenance = throughFacts + [IndexStep(), SBOMStep(), ReproducibilityStep(), ProvenanceStep()]
    static let throughSigning = throughProvenance + [EvidenceStep(), NotesStep(), SignStep()]

    let dir: TemporaryDirectory
    let checkout: TemporaryDirectory
    let engine: EngineContext
    let events = EventLog()
    /// The work directory and the copied checkout the state starts with.
    let workspace: ReleaseWorkspace
    var state: ReleaseState

    var project: String { dir.url("project") }
    var context: ReleaseStepContext { ReleaseStepContext(engine: engine, progress: { [events] in events.append($0) }) }

    /// `committed` makes the project a git repository of its own (one commit, tagged v1.0.0), for the steps that
    /// read git.
    init(
        _ options: ReleasePipeline.Options = .init(version: "v1.0.0", dryRun: true),
        config: String = StepFixture.config, environment: [String: String] = [:], signed: Bool = false,
        committed: Bool = false
    ) throws {
        dir = try TemporaryDirectory("hallmark-steps")
        try dir.write("project/hallmark.yml", config)
        try dir.write("project/README.md", "# tiny\n")
        if committed {
            // A commit no other test makes, so its checkout path is its own.
            try dir.write("project/id.txt", UUID().uuidString)
            try GitFixture.commitAll(in: dir.url("project"), tag: "v1.0.0")
        }
        checkout = try TemporaryDirectory("hallmark-build-steps", in: "/tmp")
        try FileManager.default.createDirectory(atPath: checkout.url("out"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.url("project"), toPath: checkout.url("src"))
        var variables = environment
        variables["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        engine = EngineContext(environment: variables, workingDirectory: dir.url("project"))
        state = ReleaseState(inputs: try ReleaseInputs.load(options, context: engine))
        state.guardReport = VersionGuard.Report(
            version: options.version, semver: "1.0.0", prerelease: false, commit: Self.commit, passed: true,
            checks: [.init(name: "semver", passed: true, detail: "\(options.version) is a semantic version")])
        state.source = ReleaseSource(
            commit: Self.commit, repoRoot: dir.url("project"), sourceDateEpoch: 1_700_000_000, ref: "refs/tags/v1.0.0",
            repository: "https://github.com/example/tiny", workflowRef: nil, workingDirectory: ".",
            configRelative: "hallmark.yml")
        state.signing = SigningChoice(key: signed ? try Fixtures.ed25519Key() : nil)
        workspace = ReleaseWorkspace(
            distRoot: dir.url("project/dist"), version: options.version, tree: BuildTree(root: checkout.path),
            workingDirectory: ".")
        for directory in [workspace.staging, workspace.logs] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        state.workspace = workspace
    }

    /// Runs one step on the state; returns its detail.
    @discardableResult mutating func run(_ step: some ReleaseStep) throws -> String {
        let context = context
        return try step.run(&state, context)
    }

    /// Runs steps in order on the state.
    mutating func run(_ steps: [any ReleaseStep]) throws {
        let context = context
        for step in steps { _ = try step.run(&state, context) }
    }

    /// A file of the staging directory, decoded.
    func staged<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        let data = try Data(contentsOf: URL(fileURLWithPath: workspace.staging + "/" + name))
        return try CanonicalJSON.decode(type, from: data, source: name)
    }

    func stagedText(_ name: String) throws -> String {
        try String(contentsOfFile: workspace.staging + "/" + name, encoding: .utf8)
    }

    static func sha256(_ text: String) -> String { Hex.encode(SHA256Hasher.hash(Data(text.utf8))) }
}

/// Progress events as short lines, collected from whichever thread reports them.
final class EventLog: @unchecked Sendable {  // every access to `lines` holds `lock`
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ event: ReleasePipeline.Event) {
        let line = Self.line(event)
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    static func line(_ event: ReleasePipeline.Event) -> String {
        switch event {
        case .step(let number, let total, let name): "[\(number)/\(total)] \(name)"
        case .stepDone(let name, _, let detail): "\(name) done: \(detail)"
        case .target(let platform, let build, _, let ok, _, _): "build \(build) \(platform) \(ok ? "ok" : "FAILED")"
        case .warning(let message): "warning: \(message)"
        case .logTail(let path, _): "tail: \(path)"
        }
    }
}
