import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark rebuild DIR --target os/arch`: repeat one target's build from the reproducibility manifest in a
/// fresh checkout of the recorded commit and compare the binary's digest.
public struct Rebuild: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Result: Codable, Sendable {
        public var target: String
        public var build: String
        public var commit: String
        public var command: String
        public var expectedSha256: String
        public var actualSha256: String
        public var matched: Bool
        /// The checkout and log, kept when the digests differ (or with --keep).
        public var workDirectory: String?
        public var log: String?
    }

    public func run(directory: String, target: Platform, build: String?, source: String?, keep: Bool) throws(HallmarkError) -> Result {
        try context.requireCommands("rebuild (the build command a reproducibility manifest records)")
        let manifestPath = try context.resolve(directory) + "/" + ReproducibilityManifest.fileName
        let display = "\(directory)/\(ReproducibilityManifest.fileName)"
        guard FileIO.isFile(manifestPath) else {
            throw .invalidInput("\(display): No such file; rebuild needs a release directory made by `hallmark release`")
        }
        let manifest = try CanonicalJSON.decode(ReproducibilityManifest.self, from: try FileIO.read(manifestPath, display: display), source: display)
        try manifest.validate(source: display)
        let candidates = manifest.targets.filter { $0.platform == target && (build == nil || $0.build == build) }
        guard let entry = candidates.first else {
            throw .usage("\(display) has no target \(target)\(build.map { " in build \($0)" } ?? ""); it has \(manifest.targets.map { "\($0.platform) (\($0.build))" }.joined(separator: ", "))")
        }
        guard candidates.count == 1 else {
            throw .usage("\(target) is built by \(candidates.map(\.build).joined(separator: ", ")); pick one with --build")
        }

        var origin = source ?? manifest.repository
        if origin.hasPrefix("file://") { origin = String(origin.dropFirst("file://".count)) }
        if !origin.contains("://"), !origin.contains("@") { origin = try context.resolve(origin) }
        // The same build directory the release used (reproducibility.json's buildTree), so paths a toolchain
        // records come out the same; a manifest from before that convention gets a scratch directory.
        let tree = manifest.buildTree.map { BuildTree(root: $0.root) }
            ?? BuildTree(root: context.scratchDirectory + "/hallmark-rebuild-\(getpid())-\(UUID().uuidString.prefix(8))")
        let scratch = tree.root
        let checkout = tree.source
        var keepScratch = keep
        let prepared = try BuildTree.prepare(tree, repository: origin, commit: manifest.commit, environment: context.processEnvironment)
        defer { if keepScratch { prepared.keep() } else { prepared.remove() } }

        let buildDirectory = entry.directory == "." ? checkout : checkout + "/" + entry.directory
        var environment = context.processEnvironment
        for (key, value) in manifest.environment { environment[key] = value }
        for (key, value) in entry.environment { environment[key] = value }
        if manifest.buildTree != nil {
            for (key, value) in tree.pathMapEnvironment(base: environment) { environment[key] = value }
        }
        let hallmarkOutput = entry.environment["HALLMARK_OUTPUT"] ?? entry.output
        for path in Set([hallmarkOutput, entry.output]) {
            let absolute = path.hasPrefix("/") ? path : buildDirectory + "/" + path
            try Paths.makeDirectory((absolute as NSString).deletingLastPathComponent)
        }
        let log = scratch + "/build.log"
        let status = try Subprocess.shell(entry.command, in: buildDirectory, environment: environment, logPath: log)
        guard status == 0 else {
            keepScratch = true
            throw .invalidInput("the rebuild of \(target) failed (exit \(status)); log: \(log)")
        }
        let binaryPath = entry.output.hasPrefix("/") ? entry.output : buildDirectory + "/" + entry.output
        guard FileIO.isFile(binaryPath) else {
            keepScratch = true
            throw .invalidInput("the rebuild of \(target) produced no binary at \(entry.output); log: \(log)")
        }
        let actual = try FileHasher.hexDigest(ofFileAt: binaryPath, algorithm: .sha256)
        let matched = actual == entry.binary.sha256.lowercased()
        if !matched { keepScratch = true }
        return Result(
            target: target.description, build: entry.build, commit: manifest.commit, command: entry.command,
            expectedSha256: entry.binary.sha256, actualSha256: actual, matched: matched,
            workDirectory: keepScratch ? scratch : nil, log: keepScratch ? log : nil)
    }
}
