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
}
