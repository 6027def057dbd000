import Foundation
import HallmarkTestSupport
import Testing

/// The server tested against its own OpenAPI document by schemathesis (PyPI): generated requests for every
/// operation, valid and invalid, with an admin token and without; no 5xx, every status, content type, header and
/// body as documented, invalid data refused, and 405 for methods a path does not take.
@Suite("hallmark serve against its OpenAPI document (schemathesis)")
struct ServeConformanceTests {
    @Test("schemathesis finds no server error and no answer that breaks the document")
    func schemathesis() throws {
        let world = try ServeTests.World()
        let server = try world.serve()
        let rel = world.tokens["rel"]!
        let request = try server.post("/promotion-requests", token: rel, json: #"{"rollout": "\#(world.rollout)", "targetRing": "canary"}"#).json["id"] as? String ?? ""
        for (key, token) in [("keys/alice.key", world.tokens["alice"]!), ("keys/bob.key", world.tokens["bob"]!)] {
            #expect(try world.hallmark(["promote", "approve", request, "--server", server.base, "--key", key, "--token", token]).status == 0)
        }
        let execution = try server.post("/promotion-requests/\(request)/executions", token: rel, json: "{}").json["id"] as? String ?? ""
        #expect(execution.hasPrefix("px-"))

        // Real ids for the operations that read one, so generated requests reach the handlers' logic.
        let config = """
            [[operations]]
            include-path-regex = "^/(evidence|log/proof)/"
            parameters = { "id" = "\(world.rollout)" }

            [[operations]]
            include-path-regex = "^/promotion-requests/"
            parameters = { "id" = "\(request)" }

            [[operations]]
            include-path-regex = "^/promotion-executions/"
            parameters = { "id" = "\(execution)" }

            """
        let configFile = try world.dir.write("schemathesis.toml", config)
        // One worker: CPython 3.11's parser is not safe for the concurrent source inspection hypothesis does.
        let run = try ProcessRunner.run(
            TestPaths.serveTestVenv + "/schemathesis",
            [
                "--config-file", configFile, "run", server.base + "/openapi.yaml", "-H", "Authorization: Bearer \(world.tokens["ops"]!)",
                "--checks", "all", "--exclude-checks", "positive_data_acceptance", "--max-examples", "25", "--workers", "1",
                "--phases", "examples,coverage,fuzzing", "--seed", "20261129", "--no-color",
            ], in: world.dir.path, environment: ["HYPOTHESIS_STORAGE_DIRECTORY": world.dir.url(".hypothesis")])
        #expect(run.status == 0, "\(run.stdout.suffix(6000))\n\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("passed"), "\(run.stdout.suffix(2000))")
        #expect(!run.stdout.contains("ST1") && !run.stdout.contains("Runtime Error"))
        // Nothing the generated requests sent was appended, and the log verifies.
        #expect(try world.logSize(server) == 5)
        #expect(try world.hallmark(["audit", "verify"]).status == 0)
    }
}
