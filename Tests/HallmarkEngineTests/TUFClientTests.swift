import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkTestSupport
import Testing

@testable import HallmarkEngine

/// The TUF client against repositories built here, for what the command line cannot reach in one run: several
/// target lookups through one client, delegation names, and the state directory after damage.
@Suite("TUF client: delegations, state recovery, length limits")
struct TUFClientTests {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28

    func client(_ repo: TUFTestRepository, state: String, bootstrap: Bool = true) throws -> TUFClient {
        try TUFClient(
            metadataDirectory: state,
            repository: TUFDirectoryRepository(
                metadataDirectory: repo.directory + "/metadata", targetsDirectory: repo.directory + "/targets"),
            referenceTime: Self.now,
            bootstrap: bootstrap ? try Data(contentsOf: URL(fileURLWithPath: repo.initialRoot)) : nil)
    }

    /// targets delegates A (key KA: a/*, c/*) and B (key KB: b/*); B delegates A too (key KB: b/*). A holder of
    /// KB can serve an A signed by KB: that copy is A only as B delegates it, never for c/*.
    @Test("A role verified through one delegator is not reused for another delegator's paths")
    func roleTrustedPerDelegator() async throws {
        let dir = try TemporaryDirectory()
        var repo = try TUFTestRepository(directory: dir.url("repo"))
        let ka = try PrivateKey.generate(.ed25519)
        let kb = try PrivateKey.generate(.ed25519)
        repo.delegations["targets"] = [
            .init(name: "A", keys: [ka], paths: ["a/*", "c/*"]), .init(name: "B", keys: [kb], paths: ["b/*"]),
        ]
        repo.delegations["B"] = [.init(name: "A", keys: [kb], paths: ["b/*"])]
        repo.roleSigners = ["A": [ka], "B": [kb]]
        repo.roleTargets["A"] = ["a/x": Data("honest a\n".utf8), "c/x": Data("honest c\n".utf8)]
        repo.roleTargets["B"] = [:]
        try repo.publishRoot()
        try repo.publishAll()

        var honest = try client(repo, state: dir.url("state"))
        #expect(try await honest.targetInfo("c/x")?.role == "A")

        // The mirror now serves an A signed by KB, listing b/y and another c/x.
        repo.roleSigners["A"] = [kb]
        repo.roleTargets["A"] = ["b/y": Data("b file\n".utf8), "c/x": Data("EVIL\n".utf8)]
        try repo.publishRole("A")

        var one = try client(repo, state: dir.url("state"), bootstrap: false)
        #expect(try await one.targetInfo("a/x")?.role == "A")  // the honest local A, through targets
        #expect(try await one.targetInfo("b/y")?.role == "A")  // A as B delegates it: KB's copy replaces it
        // c/x through targets needs A signed by KA again: the mirror has none, so the lookup fails.
        await #expect(throws: HallmarkError.self) {
            let info = try await one.targetInfo("c/x")
            Issue.record("c/x resolved through \(info?.role ?? "nothing")")
        }
    }

    /// targets delegates X (c/*) and Y (y/*); both delegate A. An A signed by Y's delegate key, cached from an
    /// earlier run, delegates C to the attacker's key: C verified through that A is not C as the honest A (reached
    /// through X, fetched again) delegates it.
    @Test("Roles delegated by a role that is verified again lose their trust too (one level down)")
    func delegatedRolesOfAReplacedRole() async throws {
        let dir = try TemporaryDirectory()
        var repo = try TUFTestRepository(directory: dir.url("repo"))
        let (kx, ky, ka, kyd, kc, ke) = try (
            PrivateKey.generate(.ed25519), PrivateKey.generate(.ed25519), PrivateKey.generate(.ed25519),
            PrivateKey.generate(.ed25519), PrivateKey.generate(.ed25519), PrivateKey.generate(.ed25519)
        )
        repo.delegations["targets"] = [.init(name: "X", keys: [kx], paths: ["c/*"]), .init(name: "Y", keys: [ky], paths: ["y/*"])]
        repo.delegations["X"] = [.init(name: "A", keys: [ka], paths: ["c/*"])]
        repo.delegations["Y"] = [.init(name: "A", keys: [kyd], paths: ["y/*"])]
        // The attacker's A (signed by Y's delegate key) delegates C to the attacker's key, for y/* and c/*.
        repo.delegations["A"] = [.init(name: "C", keys: [ke], paths: ["c/*", "y/*"])]
        repo.roleSigners = ["X": [kx], "Y": [ky], "A": [kyd], "C": [ke]]
        repo.roleTargets = ["X": [:], "Y": [:], "A": [:], "C": ["y/z": Data("y\n".utf8), "c/x": Data("EVIL\n".utf8)]]
        try repo.publishRoot()
        try repo.publishAll()
        var first = try client(repo, state: dir.url("state"))
        #expect(try await first.targetInfo("y/z")?.role == "C")  // leaves the attacker's A and C in the cache

        // The mirror now serves the honest A (signed by KA), which delegates C to KC; C is still the attacker's.
        repo.roleSigners["A"] = [ka]
        repo.delegations["A"] = [.init(name: "C", keys: [kc], paths: ["c/*"])]
        try repo.publishRole("A")
        var second = try client(repo, state: dir.url("state"), bootstrap: false)
        #expect(try await second.targetInfo("y/z")?.role == "C")  // the cached A through Y, the cached C through it
        await #expect(throws: HallmarkError.self) {
            let info = try await second.targetInfo("c/x")  // A again, through X: C must be verified against KC
            Issue.record("c/x resolved through \(info?.role ?? "nothing")")
        }
    }

    @Test("A delegation to an empty or top-level role name is refused, and the state keeps its root")
    func reservedRoleNames() async throws {
        for name in ["root", "timestamp", "snapshot", "targets", "", "Timestamp", "ROOT"] {
            let dir = try TemporaryDirectory()
            var repo = try TUFTestRepository(directory: dir.url("repo"))
            let key = try PrivateKey.generate(.ed25519)
            repo.delegations["targets"] = [.init(name: name, keys: [key], paths: ["*"])]
            repo.targets["artifact.txt"] = Data("release 1\n".utf8)
            try repo.publishRoot()
            try repo.publishAll()
            var client = try client(repo, state: dir.url("state"))
            let rootBefore = try dir.read("state/root.json")
            await #expect("\(name)") { _ = try await client.targetInfo("other.txt") } throws: { error in
                (error as? HallmarkError)?.message.contains("reserved") == true
            }
            // The failed refresh is not run again on the same client: a lookup names the failure.
            await #expect(throws: HallmarkError.self) { _ = try await client.targetInfo("other.txt") }
            await #expect(throws: HallmarkError.self) { try await client.refresh() }
            #expect(try dir.read("state/root.json") == rootBefore)
        }
    }

    @Test("A damaged root.json in the state: the newest root in root_history/ is the start")
    func damagedRootRecovers() async throws {
        let dir = try TemporaryDirectory()
        var repo = try TUFTestRepository(directory: dir.url("repo"))
        repo.targets["artifact.txt"] = Data("release 1\n".utf8)
        try repo.publishRoot()
        try repo.rotateRoot()
        try repo.publishAll()
        var first = try client(repo, state: dir.url("state"))
        try await first.refresh()
        #expect(first.trusted.root.version == 2)
        _ = try dir.write("state/root.json", "{\"signed\": ")
        var again = try client(repo, state: dir.url("state"), bootstrap: false)
        #expect(again.trusted.root.version == 2)
        #expect(again.notes.contains { $0.contains("root.json") }, "\(again.notes)")
        try await again.refresh()
        #expect(try await again.targetInfo("artifact.txt") != nil)
        // Nothing intact at all: the update fails, naming root.json.
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.url("state/root_history")) {
            _ = try dir.write("state/root_history/" + name, "garbage")
        }
        _ = try dir.write("state/root.json", "garbage")
        #expect(throws: HallmarkError.self) { _ = try client(repo, state: dir.url("state"), bootstrap: false) }
    }

    @Test("Lengths up to Int.max from signed metadata read a file without overflow")
    func hugeLengthLimit() async throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("file", "12345")
        guard case .success(let data) = TUFDirectoryRepository.read(path, limit: Int.max) else {
            Issue.record("the read failed")
            return
        }
        #expect(data == Data("12345".utf8))
        guard case .failure = TUFDirectoryRepository.read(path, limit: 4) else {
            Issue.record("a 5-byte file passed a 4-byte limit")
            return
        }
    }
}
