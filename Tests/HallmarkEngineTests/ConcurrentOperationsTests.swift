import Foundation
import HallmarkConcurrency
import HallmarkCore
import HallmarkCrypto
import HallmarkRemote
import HallmarkTestSupport
import Testing

@testable import HallmarkEngine

/// The engine hosted as a server hosts it: one process, one set of HTTP clients and one blocking pool, many
/// operations at once, each in a file-system root of its own.
@Suite("Engine operations run concurrently in one process, each under its own root", .serialized)
struct ConcurrentOperationsTests {
    /// A signed release (four files, checksums.txt, signatures.json) in `directory`, and the public key.
    static func signedRelease(in directory: TemporaryDirectory, key: PrivateKey) throws {
        try directory.write("rel/app-linux-amd64.tar.gz", Data(repeating: 7, count: 300_000))
        try directory.write("rel/app-darwin-arm64.tar.gz", Data(repeating: 9, count: 200_000))
        try directory.write("rel/notes.md", "# v1.0.0\n")
        try directory.write("release.pub", key.publicKey.pemText)
        let context = EngineContext(environment: [:], workingDirectory: directory.path)
        _ = try ReleaseSigning(context: context).sign(directory: "rel", key: key)
    }

    /// A context rooted at `root` (a server's data directory), sharing the process's clients and threads.
    static func context(root: String, http: HTTPClients, blocking: BlockingPool) throws -> EngineContext {
        EngineContext(
            settings: Settings(environment: [:]), root: try FileSystemRoot(path: root), http: http,
            blocking: blocking, scratchDirectory: root + "/scratch")
    }

    enum Outcome: Equatable {
        case verified
        case failed(ProblemCode?)
        case pushed(String)
    }

    @Test("50 operations at once: local verifications, downloads from a local server, registry pushes", .timeLimit(.minutes(3)))
    func fiftyOperations() async throws {
        let key = try PrivateKey.generate(.ed25519)
        let served = try TemporaryDirectory("hallmark-served")
        try Self.signedRelease(in: served, key: key)
        let server = try HTTPServerFixture(serving: served.path)
        let registry = try RegistryFixture()
        let http = HTTPClients()
        let blocking = BlockingPool(width: 4)
        let roots = try TemporaryDirectory("hallmark-roots")

        // Each operation gets its own root holding its own copy of the release and the key.
        var jobs: [(index: Int, kind: String, context: EngineContext)] = []
        for index in 0..<50 {
            let root = roots.url("op\(index)")
            try FileManager.default.createDirectory(atPath: root + "/scratch", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: served.url("rel"), toPath: root + "/rel")
            try FileManager.default.copyItem(atPath: served.url("release.pub"), toPath: root + "/release.pub")
            let kind = index % 5 == 4 ? "push" : index % 5 == 3 ? "download" : index % 10 == 1 ? "tampered" : "verify"
            if kind == "tampered" { _ = try roots.write("op\(index)/rel/notes.md", "# v1.0.1\n") }
            jobs.append((index, kind, try Self.context(root: root, http: http, blocking: blocking)))
        }

        let started = Date()
        let outcomes = try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            for job in jobs {
                group.addTask {
                    (job.index, try await Self.run(job.kind, index: job.index, context: job.context, server: server.base, registry: registry.host))
                }
            }
            var all: [Int: Outcome] = [:]
            for try await (index, outcome) in group { all[index] = outcome }
            return all
        }
        let elapsed = Date().timeIntervalSince(started)
        await http.shutdown()
        blocking.shutdown()

        #expect(outcomes.count == 50)
        var pushedDigests: Set<String> = []
        for job in jobs {
            switch (job.kind, outcomes[job.index]) {
            case ("verify", .verified?), ("download", .verified?): break
            case ("tampered", .failed(let code)?): #expect(code == .fileModified, "op\(job.index): \(String(describing: code))")
            case ("push", .pushed(let digest)?): pushedDigests.insert(digest)
            default: Issue.record("op\(job.index) (\(job.kind)): \(String(describing: outcomes[job.index]))")
            }
        }
        // The same release pushed ten times is one manifest: every push reports the same digest.
        #expect(pushedDigests.count == 1, "\(pushedDigests)")
        #expect(elapsed < 150, "50 operations took \(elapsed) s")
        // Downloads went into each operation's own root; nothing was written anywhere else.
        for job in jobs where job.kind == "download" {
            #expect(FileManager.default.fileExists(atPath: roots.url("op\(job.index)/downloaded/checksums.txt")))
        }
    }

    static func run(_ kind: String, index: Int, context: EngineContext, server: String, registry: String) async throws -> Outcome {
        switch kind {
        case "download":
            let result = try await RemoteVerification(context: context).verifyRemote(
                url: server + "/rel/", keys: ["release.pub"], allowUnsigned: false, out: "downloaded", reportDirectory: nil)
            return result.verdict.isVerified ? .verified : .failed(result.verdict.problems.first?.code)
        case "push":
            var access = RegistryAccess()
            access.plainHTTP = true
            let result = try await Publishing(context: context).publish(
                directory: "rel", to: "oci://\(registry)/concurrent/op\(index):v1.0.0", force: false, out: "published",
                registry: access)
            return .pushed(result.manifestDigest ?? "none")
        default:
            let report = try await context.offload { () throws(HallmarkError) in
                let keys = try KeyResolver(context: context).publicKeys(["release.pub"])
                return try ReleaseVerification(context: context).verify(directory: "rel", keys: keys, policy: .required)
            }
            return report.verified ? .verified : .failed(report.problems.first?.code)
        }
    }

    @Test("A root keeps an operation's paths inside it")
    func rootRefusesPathsOutside() throws {
        let dir = try TemporaryDirectory()
        let root = try FileSystemRoot(path: dir.path)
        #expect(try root.resolve("rel/checksums.txt") == dir.path + "/rel/checksums.txt")
        #expect(try root.resolve("a/../b") == dir.path + "/b")
        #expect(try root.resolve(dir.path + "/x") == dir.path + "/x")
        for outside in ["..", "../x", "a/../../x", "/etc/passwd", dir.path + "/../x", dir.path + "x"] {
            #expect(throws: HallmarkError.self, "\(outside)") { _ = try root.resolve(outside) }
        }
        // An operation given such a path refuses it before touching anything.
        let context = EngineContext(
            settings: Settings(environment: [:]), root: root, http: HTTPClients(), blocking: BlockingPool(width: 1),
            scratchDirectory: dir.path)
        #expect {
            _ = try ReleaseVerification(context: context).verify(directory: "/etc", keys: [], policy: .allowUnsigned)
        } throws: { error in
            (error as? HallmarkError)?.code == .usage && (error as? HallmarkError)?.message.contains("outside") == true
        }
        // The command line's root is the whole file system, relative paths starting at the working directory.
        let whole = FileSystemRoot.whole(workingDirectory: dir.path)
        #expect(try whole.resolve("/etc/passwd") == "/etc/passwd")
        #expect(try whole.resolve("x") == dir.path + "/x")
    }

    @Test("Long synchronous work on the blocking pool leaves the cooperative threads free")
    func blockingPoolKeepsTheCooperativePoolFree() async throws {
        let pool = BlockingPool(width: 8)
        defer { pool.shutdown() }
        // More blocking jobs than this machine has cores, each holding its thread for a second…
        let started = Date()
        async let blocked: [Int] = withTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask { await pool.run { () -> Int in Thread.sleep(forTimeInterval: 1); return index } }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        // …while many small async tasks still finish at once.
        try await Task.sleep(for: .milliseconds(100))
        let quick = Date()
        let sum = await withTaskGroup(of: Int.self) { group in
            for index in 0..<100 { group.addTask { index } }
            return await group.reduce(0, +)
        }
        let quickElapsed = Date().timeIntervalSince(quick)
        #expect(sum == 4950)
        #expect(quickElapsed < 0.5, "small tasks waited \(quickElapsed) s behind the blocking work")
        #expect(await blocked.sorted() == Array(0..<8))
        #expect(Date().timeIntervalSince(started) < 4)
    }
}
