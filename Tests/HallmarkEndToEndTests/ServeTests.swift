import Foundation
import HallmarkTestSupport
import Testing

/// `hallmark serve` over a real HTTP socket: the evidence of a governed rollout, searched, shown with its proof,
/// the checkpoint and the audit export, and errors as problem details.
@Suite("hallmark serve (evidence API, read-only)")
struct ServeTests {
    /// A running `hallmark serve` on a free loopback port; stopped on deinit.
    final class Server {
        let process = Process()
        let port: Int

        init(store: String, in directory: String) throws {
            process.executableURL = URL(fileURLWithPath: TestPaths.binary)
            process.arguments = ["serve", "--listen", "127.0.0.1:0", "--store", store]
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            while !line.contains(0x0A) {
                let chunk = out.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw FixtureError("hallmark serve exited before listening") }
                line.append(chunk)
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let found = text.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
                throw FixtureError("unexpected first line: \(text)")
            }
            port = found
        }

        deinit {
            process.terminate()
            process.waitUntilExit()
        }

        /// `curl -s -w '\n%{http_code}'`: the body and the status.
        func get(_ path: String) throws -> (status: Int, body: String) {
            let result = try ProcessRunner.run("curl", ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
            var lines = result.stdout.components(separatedBy: "\n")
            let status = Int(lines.removeLast()) ?? 0
            return (status, lines.joined(separator: "\n"))
        }
    }

    @Test("Search, a record with its inclusion proof, the checkpoint, the audit export, health, and problem details")
    func api() throws {
        let dir = try TemporaryDirectory("serve")
        try Releases.copy(into: dir.path)
        let store = "sqlite:" + dir.url("state/evidence.db")
        func hallmark(_ arguments: [String]) throws -> String {
            let result = try ProcessRunner.hallmark(arguments, in: dir.path, environment: ["HALLMARK_STORE": store])
            guard result.status == 0 else { throw FixtureError("hallmark \(arguments): \(result.stderr)") }
            return String(result.stdout.split(separator: " ").first ?? "")
        }
        let rollout = try hallmark(["rollout", "capture", "v1.0.0", "--deployment-id", "served", "--change-record", "CHG-500", "--key", "keys/release.key", "--out", "r"])
        _ = try hallmark(["rollout", "verify", "r", "--key", "keys/release.pub"])
        let request = try hallmark(["promote", "request", rollout, "--target-ring", "canary", "--key", "keys/release.key"])
        _ = try hallmark(["promote", "approve", request, "--key", "keys/alice.key"])
        _ = try hallmark(["promote", "approve", request, "--key", "keys/bob.key"])
        let execution = try hallmark(["promote", "execute", request, "--key", "keys/release.key"])

        let server = try Server(store: store, in: dir.path)
        #expect(try server.get("/healthz").status == 200)
        #expect(try server.get("/readyz").body.contains("\"treeSize\": \"5\""))
        let search = try server.get("/evidence?kind=promotion-approval&change_record=CHG-500&ring=canary&limit=1")
        #expect(search.status == 200 && search.body.contains("promotion-approval") && search.body.contains("\"nextCursor\""), "\(search.body)")
        let shown = try server.get("/evidence/\(execution)")
        #expect(shown.status == 200 && shown.body.contains("\"verified\": true") && shown.body.contains("\"treeSize\": 5"), "\(shown.body)")
        #expect(try server.get("/log/checkpoint").body.contains("\"treeSize\": 5"))
        let proof = try server.get("/log/proof/\(rollout)")
        #expect(proof.status == 200 && proof.body.contains("\"leafIndex\": 0") && proof.body.contains("\"note\""), "\(proof.body)")
        let cef = try server.get("/audit/export?format=cef")
        #expect(cef.status == 200 && cef.body.split(separator: "\n").count == 5)
        #expect(try server.get("/openapi.yaml").body.hasPrefix("openapi: 3.1.0"))
        let unknown = try server.get("/evidence/px-000000000000000000000000")
        #expect(unknown.status == 404 && unknown.body.contains("\"status\": 404"), "\(unknown.body)")
        let traversal = try server.get("/evidence/..%2F..%2Fetc%2Fpasswd")
        #expect(traversal.status == 400 || traversal.status == 404, "\(traversal)")
        let bad = try server.get("/evidence?limit=100000")
        #expect(bad.status == 400 && bad.body.contains("\"code\": \"usage\""), "\(bad.body)")
        #expect(try server.get("/evidence?nope=1").status == 400)
    }
}
