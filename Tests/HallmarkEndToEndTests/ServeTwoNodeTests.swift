import Foundation
import HallmarkTestSupport
import Testing

/// Two `hallmark serve` nodes over one PostgreSQL (a throw-away cluster): decisions and executions sent to both at
/// once end in one state transition each, nothing is lost or doubled, and both serve the same checkpoint.
@Suite("hallmark serve: two nodes sharing PostgreSQL")
struct ServeTwoNodeTests {
    @Test("Concurrent approvals and executions across two nodes: one transition each, the same log on both")
    func twoNodes() throws {
        let world = try ServeTests.World(store: try PostgresFixture.database())
        // Node B runs elsewhere, with its own copy of the log key (and so its own log.key.state).
        try FileManager.default.createDirectory(atPath: world.dir.url("node-b"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: world.dir.url(".hallmark/log.key"), toPath: world.dir.url("node-b/log.key"))
        let nodeA = try world.serve()
        let nodeB = try world.serve(["--log-key", "node-b/log.key"])
        let rel = world.tokens["rel"]!, alice = world.tokens["alice"]!, bob = world.tokens["bob"]!

        let request = try nodeB.post("/promotion-requests", token: rel, json: #"{"rollout": "\#(world.rollout)", "targetRing": "canary"}"#).json["id"] as? String ?? ""
        #expect(request.hasPrefix("pr-"))
        #expect(try nodeA.get("/promotion-requests/\(request)", token: rel).status == 200)

        // alice's decision, signed once, sent eight times to both nodes at once, while bob's command decides on
        // node B (signing again if alice's lands first).
        let aliceSigned = try world.hallmark(["promote", "approve", request, "--server", nodeA.base, "--key", "keys/alice.key", "--sign-only", "--token", alice])
        #expect(aliceSigned.status == 0, "\(aliceSigned.stderr)")
        let statuses = LockedList()
        DispatchQueue.concurrentPerform(iterations: 9) { index in
            if index == 8 {
                let vote = try? world.hallmark(["promote", "approve", request, "--server", nodeB.base, "--key", "keys/bob.key", "--token", bob])
                statuses.add("bob \(vote?.status ?? -1) \(vote?.stderr ?? "")")
                return
            }
            let node = index % 2 == 0 ? nodeA : nodeB
            let answer = try? node.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: aliceSigned.stdoutData)
            statuses.add("alice \(answer?.status ?? -1) \(answer?.json["id"] as? String ?? answer?.body ?? "")")
        }
        let votes = statuses.items
        #expect(votes.contains { $0.hasPrefix("bob 0") }, "\(votes)")
        let aliceAnswers = votes.filter { $0.hasPrefix("alice") }
        #expect(aliceAnswers.filter { $0.hasPrefix("alice 201") }.count == 1, "\(aliceAnswers)")
        #expect(aliceAnswers.allSatisfy { $0.hasPrefix("alice 201") || $0.hasPrefix("alice 200") }, "\(aliceAnswers)")
        let approvals = try nodeA.get("/promotion-requests/\(request)/approvals", token: rel).json["approvals"] as? [[String: Any]] ?? []
        #expect(approvals.count == 2, "\(approvals)")

        // Ten executions at once, five per node: one execution, every answer names it.
        let executions = LockedList()
        DispatchQueue.concurrentPerform(iterations: 10) { index in
            let node = index % 2 == 0 ? nodeA : nodeB
            let answer = try? node.post("/promotion-requests/\(request)/executions", token: rel, json: "{}")
            executions.add("\(answer?.status ?? -1) \(answer?.json["id"] as? String ?? answer?.body ?? "")")
        }
        let ids = Set(executions.items.map { String($0.split(separator: " ").last ?? "") })
        #expect(ids.count == 1 && ids.first?.hasPrefix("px-") == true, "\(executions.items)")
        #expect(executions.items.filter { $0.hasPrefix("201") }.count == 1, "\(executions.items)")
        let listed = try nodeB.get("/promotion-executions?change_record=CHG-500", token: rel).json["records"] as? [Any] ?? []
        #expect(listed.count == 1)

        // Both nodes: the same signed checkpoint over the same five records; the log verifies.
        let checkpointA = try nodeA.get("/log/checkpoint").json
        let checkpointB = try nodeB.get("/log/checkpoint").json
        #expect(checkpointA["treeSize"] as? Int == 5 && checkpointA["note"] as? String == checkpointB["note"] as? String, "\(checkpointA) \(checkpointB)")
        let audit = try world.hallmark(["audit", "verify"])
        #expect(audit.status == 0, "\(audit.stderr)")

        // PostgreSQL drops every connection (a restart, a failover): the nodes open new ones and go on.
        let killed = try ProcessRunner.run("psql", [
            world.store, "-q", "-c", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ])
        #expect(killed.status == 0, "\(killed.stderr)")
        Thread.sleep(forTimeInterval: 0.5)
        for node in [nodeA, nodeB] {
            var statuses: [Int] = []
            for _ in 0..<6 { statuses.append(try node.get("/evidence?limit=1", token: rel).status) }
            #expect(statuses.suffix(2) == [200, 200], "\(statuses)")
        }
    }
}

/// Strings added from several threads.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []
    func add(_ value: String) { lock.lock(); values.append(value); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return values }
}
