import Foundation
import HallmarkConcurrency
import HallmarkCore
import HallmarkCrypto
import HallmarkRemote
import HallmarkTestSupport
import Testing

@testable import HallmarkEngine

/// An engine serving requests under a data directory: nothing a request names may reach outside it, through
/// symbolic links, derived directories or names; the engine's own scratch paths still work wherever they are.
@Suite("A file-system root holds: links, derived directories, names and scratch paths")
struct RootContainmentTests {
    /// A data directory `root` with a sibling `outside` holding a secret and a key, and a context rooted at `root`
    /// whose scratch directory is elsewhere.
    struct Tenant {
        let dir: TemporaryDirectory
        let context: EngineContext
        var root: String { dir.url("root") }

        init() throws {
            dir = try TemporaryDirectory()
            for sub in ["root", "outside", "scratch"] {
                try FileManager.default.createDirectory(atPath: dir.url(sub), withIntermediateDirectories: true)
            }
            _ = try dir.write("outside/secret.txt", "not yours\n")
            _ = try dir.write("outside/other.key", try PrivateKey.generate(.ed25519).pemText(passphrase: nil))
            context = EngineContext(
                settings: Settings(environment: [:]), root: try FileSystemRoot(path: dir.url("root")), http: HTTPClients(),
                keys: FilesOnlyKeyProvider(), blocking: BlockingPool(width: 2), scratchDirectory: dir.url("scratch"))
        }

        func link(_ name: String, to target: String) throws {
            try FileManager.default.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
        }
    }

    static func refusedAsOutside(_ body: () throws -> Void) -> Bool {
        do {
            try body()
            return false
        } catch let error as HallmarkError {
            return error.code == .usage && (error.message.contains("outside") || error.message.contains("cannot be resolved"))
        } catch {
            return false
        }
    }

    @Test("A symbolic link inside the root that points out is refused for reads, writes and keys")
    func linksOut() throws {
        let tenant = try Tenant()
        try tenant.link("link", to: "../outside")
        try tenant.link("direct.txt", to: tenant.dir.url("outside/secret.txt"))
        try tenant.link("dangling.txt", to: tenant.dir.url("outside/new.txt"))
        let context = tenant.context
        #expect(Self.refusedAsOutside { _ = try Checksums(context: context).create(files: ["link/secret.txt"], algorithm: .sha256) })
        #expect(Self.refusedAsOutside { _ = try Checksums(context: context).create(files: ["direct.txt"], algorithm: .sha256) })
        _ = try tenant.dir.write("root/mine.txt", "mine\n")
        #expect(Self.refusedAsOutside {
            _ = try Checksums(context: context).create(files: ["mine.txt"], algorithm: .sha256, output: "link/written.txt")
        })
        #expect(!FileManager.default.fileExists(atPath: tenant.dir.url("outside/written.txt")))
        // A link that leads nowhere: creating a file through it would create it outside.
        #expect(Self.refusedAsOutside {
            _ = try Checksums(context: context).create(files: ["mine.txt"], algorithm: .sha256, output: "dangling.txt")
        })
        #expect(!FileManager.default.fileExists(atPath: tenant.dir.url("outside/new.txt")))
        #expect(Self.refusedAsOutside { _ = try KeyResolver(context: context).signingKey("link/other.key") })
        // Links that stay inside are followed.
        try tenant.link("inner", to: "sub")
        _ = try tenant.dir.write("root/sub/a.txt", "a\n")
        #expect(try context.resolve("inner/a.txt") == tenant.root + "/sub/a.txt")
    }

    @Test("Directories derived from a path (its parent) must be inside the root too")
    func derivedParents() throws {
        let tenant = try Tenant()
        let key = try PrivateKey.generate(.ed25519)
        _ = try tenant.dir.write("root/a.txt", "a\n")
        _ = try ReleaseSigning(context: tenant.context).sign(directory: ".", key: key)
        // The summary of the root itself would land in the root's parent.
        #expect(Self.refusedAsOutside { _ = try ReleaseSummary(context: tenant.context).summarize(directory: ".", remoteAssets: nil, outDirectory: nil) })
        #expect(!FileManager.default.fileExists(atPath: tenant.dir.url("release-summary.json")))
        #expect(try tenant.context.parentDirectory(of: tenant.root + "/a.txt") == tenant.root)
    }

    @Test("rollback refuses a name that is not a plain file name")
    func rollbackName() throws {
        let tenant = try Tenant()
        for name in ["x/../../../outside/tool", "../tool", "a/b", ".."] {
            #expect(throws: HallmarkError.self, "\(name)") {
                _ = try Installer(context: tenant.context).rollback(prefix: "p", name: name)
            }
        }
    }

    @Test("env:// references reach nothing through a files-only key provider")
    func filesOnlyKeys() throws {
        let tenant = try Tenant()
        #expect(throws: HallmarkError.self) { _ = try KeyResolver(context: tenant.context).signingKey("env://HOME") }
        #expect(throws: HallmarkError.self) { _ = try KeyResolver(context: tenant.context).signingKey(nil) }
    }

    @Test("The engine's own scratch paths work outside the root: a signed install from a private copy")
    func scratchOutsideTheRoot() async throws {
        let tenant = try Tenant()
        let key = try PrivateKey.generate(.ed25519)
        _ = try tenant.dir.write("root/release.pub", key.publicKey.pemText)
        let tool = try tenant.dir.write("build/tool", "#!/bin/sh\necho tool\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool)
        let tar = try ProcessRunner.run("tar", ["-czf", tenant.root + "/tool.tar.gz", "-C", tenant.dir.url("build"), "tool"])
        #expect(tar.status == 0, "\(tar.stderr)")
        let signing = EngineContext(environment: [:], workingDirectory: tenant.root)
        _ = try BlobSigning(context: signing).sign(files: ["tool.tar.gz"], key: key, outputSignature: nil)
        let request = Installer.Request(
            from: "tool.tar.gz", index: nil, platform: nil, sha256: nil, keys: ["release.pub"], requireSignature: true, prefix: "prefix",
            name: nil, version: "1.0.0", smoke: nil, force: false, allowDowngrade: false, upgrade: false)
        let result = try await Installer(context: tenant.context).install(request)
        #expect(result.verified && result.action == "installed")
        #expect(FileManager.default.fileExists(atPath: tenant.root + "/prefix/bin/tool"))
        // A request cannot name the scratch directory itself.
        #expect(Self.refusedAsOutside { _ = try tenant.context.resolve(tenant.dir.url("scratch/x")) })
        await tenant.context.close()
    }

    @Test("A blocking pool that was shut down runs later jobs on the caller, starting no thread")
    func poolAfterShutdown() async throws {
        let pool = BlockingPool(width: 2)
        pool.shutdown()
        let values = await withTaskGroup(of: Int.self) { group in
            for index in 0..<50 { group.addTask { await pool.run { index } } }
            return await group.reduce(0, +)
        }
        #expect(values == 1225)
    }

    @Test("Folding works on bytes: a slash joined to a combining mark still separates, and NFC and NFD names differ")
    func bytesNotCharacters() throws {
        let tenant = try Tenant()
        let hidden = "../\u{301}\u{600}/.."  // one Character to Swift, three components to the kernel
        for path in ["n1/\(hidden)/\(hidden)/tenantB", "n1/\(hidden)/\(hidden)/\(hidden)/x", "\(hidden)"] {
            #expect(Self.refusedAsOutside { _ = try tenant.context.resolve(path) }, "\(path)")
        }
        _ = try tenant.dir.write("root/mine.txt", "mine\n")
        #expect(Self.refusedAsOutside {
            _ = try Checksums(context: tenant.context).create(
                files: ["mine.txt"], algorithm: .sha256, output: "n1/\(hidden)/\(hidden)/written.txt")
        })
        #expect(!FileManager.default.fileExists(atPath: tenant.dir.url("written.txt")))
        // A root named in NFC does not contain its NFD sibling.
        let nfc = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: nfc.url("jos\u{e9}"), withIntermediateDirectories: true)
        _ = try nfc.write("jose\u{301}/secret.txt", "other tenant\n")
        let root = try FileSystemRoot(path: nfc.url("jos\u{e9}"))
        #expect(Self.refusedAsOutside { _ = try root.resolve(nfc.url("jose\u{301}/secret.txt")) })
        // A root that is the whole file system in disguise is refused.
        #expect(throws: HallmarkError.self) { _ = try FileSystemRoot(path: "/tmp/..") }
    }

    @Test("checksum --check refuses a listed name whose link leads out")
    func checkListLinks() throws {
        let tenant = try Tenant()
        try tenant.link("link", to: "../outside")
        _ = try tenant.dir.write("root/SUMS", String(repeating: "0", count: 64) + "  link/secret.txt\n")
        #expect(Self.refusedAsOutside { _ = try Checksums(context: tenant.context).check(list: "SUMS", options: .init(algorithm: .sha256)) })
    }

    @Test("An install refuses a prefix whose bin or lib directory is a link out")
    func installPrefixLinks() async throws {
        let tenant = try Tenant()
        let tool = try tenant.dir.write("build/tool", "#!/bin/sh\necho tool\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: tool)
        #expect(try ProcessRunner.run("tar", ["-czf", tenant.root + "/tool.tar.gz", "-C", tenant.dir.url("build"), "tool"]).status == 0)
        let digest = try Checksums(context: tenant.context).create(files: ["tool.tar.gz"], algorithm: .sha256).entries[0].digest
        try FileManager.default.createDirectory(atPath: tenant.root + "/p", withIntermediateDirectories: true)
        try tenant.link("p/bin", to: tenant.dir.url("outside"))
        let request = Installer.Request(
            from: "tool.tar.gz", index: nil, platform: nil, sha256: digest, keys: [], requireSignature: false, prefix: "p",
            name: nil, version: "1.0.0", smoke: nil, force: false, allowDowngrade: false, upgrade: false)
        await #expect(throws: HallmarkError.self) { _ = try await Installer(context: tenant.context).install(request) }
        #expect(!FileManager.default.fileExists(atPath: tenant.dir.url("outside/tool")))
        await tenant.context.close()
    }

    @Test("A TUF repository directory cannot hand out a file through a link that leads out")
    func tufDirectoryLinks() async throws {
        let tenant = try Tenant()
        try FileManager.default.createDirectory(atPath: tenant.root + "/repo/targets", withIntermediateDirectories: true)
        try tenant.link("repo/targets/secret", to: tenant.dir.url("outside/secret.txt"))
        let context = tenant.context
        let repository = try TrustUpdate(context: context).repository("repo")
        guard case .failure = await repository.target("secret", limit: 1 << 20) else {
            Issue.record("the outside file was read through the link")
            return
        }
    }

    @Test("Under a data directory nothing runs the commands a request names: --smoke, rebuild, release")
    func noCommandsUnderADataDirectory() async throws {
        let tenant = try Tenant()
        #expect(!tenant.context.allowsCommands)
        #expect(throws: HallmarkError.self) {
            _ = try Rebuild(context: tenant.context).run(directory: ".", target: Platform.host, build: nil, source: nil, keep: false)
        }
        await #expect(throws: HallmarkError.self) {
            _ = try await ReleasePipeline(context: tenant.context).run(.init(version: "v1.0.0", dryRun: true))
        }
        let request = Installer.Request(
            from: "tool.tar.gz", index: nil, platform: nil, sha256: String(repeating: "0", count: 64), keys: [], requireSignature: false,
            prefix: "p", name: nil, version: nil, smoke: "id > \(tenant.dir.url("outside/ran"))", force: false, allowDowngrade: false,
            upgrade: false)
        await #expect(throws: HallmarkError.self) { _ = try await Installer(context: tenant.context).install(request) }
        #expect(!FileManager.default.fileExists(atPath: tenant.dir.url("outside/ran")))
        #expect(EngineContext(environment: [:], workingDirectory: tenant.root).allowsCommands)
    }

    @Test("A directory one context made counts for that context's root only")
    func madeDirectoriesBelongToTheirRoot() throws {
        let tenant = try Tenant()
        let made = try tenant.context.makePrivateDirectory("hallmark-test")
        defer { made.remove() }
        #expect(try tenant.context.resolve(made.path + "/file") == made.path + "/file")
        var other = tenant.context
        other.root = try FileSystemRoot(path: tenant.dir.url("outside"))
        #expect(Self.refusedAsOutside { _ = try other.resolve(made.path + "/file") })
        // Nor can a made directory be left by `..` or a similar-looking name.
        #expect(Self.refusedAsOutside { _ = try tenant.context.resolve(made.path + "/../x") })
        #expect(Self.refusedAsOutside { _ = try tenant.context.resolve(made.path + "X/file") })
    }

    @Test("Verify, summary and publish do not read a release's own files through a link that leads out")
    func releaseFilesThroughLinks() async throws {
        let tenant = try Tenant()
        _ = try tenant.dir.write("outside/checksums.txt", String(repeating: "1", count: 64) + "  secret-name.txt\n")
        _ = try tenant.dir.write("root/rel/a.txt", "a\n")
        try tenant.link("rel/checksums.txt", to: tenant.dir.url("outside/checksums.txt"))
        let context = tenant.context
        #expect(Self.refusedAsOutside { _ = try ReleaseVerification(context: context).verify(directory: "rel", keys: [], policy: .allowUnsigned) })
        #expect(Self.refusedAsOutside { _ = try ReleaseSummary(context: context).summarize(directory: "rel", remoteAssets: nil, outDirectory: "out") })
        try FileManager.default.removeItem(atPath: tenant.root + "/rel/checksums.txt")
        _ = try tenant.dir.write("root/rel/checksums.txt", "")
        try tenant.link("rel/index.json", to: tenant.dir.url("outside/checksums.txt"))
        await #expect(throws: HallmarkError.self) {
            _ = try await Publishing(context: context).publish(directory: "rel", to: "file://" + tenant.root + "/pub", force: false, out: "out")
        }
        await context.close()
    }

    @Test("Under a data directory: no git, no host registry credentials, no host keys, one answer for outside and missing")
    func hostResourcesStayTheHosts() throws {
        let tenant = try Tenant()
        let context = tenant.context
        #expect(throws: HallmarkError.self) {
            _ = try VersionGuard(context: context).check(version: "v1.0.0", directory: ".", options: .init())
        }
        let hostSettings = Settings(environment: ["HOME": tenant.dir.url("outside"), "HALLMARK_SIGNING_KEY": "x"])
        let withHostSettings = EngineContext(
            settings: hostSettings, root: context.root, http: context.http, blocking: context.blocking,
            scratchDirectory: context.scratchDirectory)
        #expect(try RegistryAccess().configPath(withHostSettings) == nil)
        #expect(!withHostSettings.keys.hasDefaultSigningKey && withHostSettings.keys.variable("HOME") == nil)
        // A link to something that exists outside and one to nothing get the same words.
        try tenant.link("to-secret", to: tenant.dir.url("outside/secret.txt"))
        try tenant.link("to-nothing", to: tenant.dir.url("outside/nothing.txt"))
        func message(_ path: String) -> String? {
            do { _ = try context.resolve(path + "/x") } catch { return error.message.replacingOccurrences(of: path, with: "") }
            return nil
        }
        #expect(message("to-secret") != nil && message("to-secret") == message("to-nothing"))
    }

    @Test("init, publish and trust update refuse links and names that would lead out")
    func initPublishTrustLinks() async throws {
        let tenant = try Tenant()
        let context = tenant.context
        try FileManager.default.createDirectory(atPath: tenant.root + "/proj", withIntermediateDirectories: true)
        _ = try tenant.dir.write("root/proj/Makefile", "all:\n")
        try tenant.link("proj/.gitignore", to: tenant.dir.url("outside/other.key"))
        #expect(Self.refusedAsOutside { _ = try ProjectInit(context: context).run(directory: "proj", binary: "x", force: false) })
        // A version whose bytes hold a '/' (followed by a combining mark) is not a plain name.
        let key = try PrivateKey.generate(.ed25519)
        _ = try tenant.dir.write("root/v/\u{301}1/a.txt", "a\n")
        _ = try ReleaseSigning(context: context).sign(directory: "v/\u{301}1", key: key)
        try FileManager.default.createDirectory(atPath: tenant.root + "/pub", withIntermediateDirectories: true)
        try tenant.link("pub/v", to: tenant.dir.url("outside"))
        await #expect(throws: HallmarkError.self) {
            _ = try await Publishing(context: context).publish(directory: "v/\u{301}1", to: "file://" + tenant.root + "/pub", force: true, out: "out")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tenant.dir.url("outside")).sorted() == ["other.key", "secret.txt"])
        // trust update: --out is required, and no link may stand in the TUF state.
        await #expect(throws: HallmarkError.self) {
            _ = try await TrustUpdate(context: context).update(repository: "repo", initialRoot: nil, now: Date(), target: "trusted_root.json", output: nil)
        }
        try FileManager.default.createDirectory(atPath: tenant.root + "/trust/tuf", withIntermediateDirectories: true)
        try tenant.link("trust/tuf/timestamp.json", to: tenant.dir.url("outside/secret.txt"))
        await #expect {
            _ = try await TrustUpdate(context: context).update(
                repository: "repo", initialRoot: nil, now: Date(), target: "trusted_root.json", output: "trust/trusted_root.json")
        } throws: { error in
            (error as? HallmarkError)?.message.contains("symbolic link") == true
        }
        await context.close()
    }
}
