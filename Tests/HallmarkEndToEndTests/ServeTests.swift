import Foundation
import HallmarkTestSupport
import Testing

/// `hallmark serve` over a real HTTP socket: the evidence of a governed rollout, searched, shown with its proof and
/// files; requests, approvals (signed by the approver's command, never by the server), executions and rollbacks
/// over the API; tokens and roles; and bad input refused with problem details, changing nothing.
@Suite("hallmark serve (evidence API)")
struct ServeTests {
    /// Releases, keys, a store with a verified rollout whose directory is under `roots/`, and four tokens.
    struct World {
        let dir: TemporaryDirectory
        let store: String
        let rollout: String
        var tokens: [String: String] = [:]

        init(store: String? = nil) throws {
            dir = try TemporaryDirectory("serve")
            try Releases.copy(into: dir.path)
            self.store = store ?? "sqlite:" + dir.url("state/evidence.db")
            try FileManager.default.createDirectory(atPath: dir.url("roots"), withIntermediateDirectories: true)
            let environment = ["HALLMARK_STORE": self.store]
            let path = dir.path
            func hallmark(_ arguments: [String]) throws -> String {
                let result = try ProcessRunner.hallmark(arguments, in: path, environment: environment)
                guard result.status == 0 else { throw FixtureError("hallmark \(arguments): \(result.stderr)") }
                return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let captured = try hallmark([
                "rollout", "capture", "v1.0.0", "--deployment-id", "served", "--change-record", "CHG-500", "--key", "keys/release.key",
                "--out", "roots/served",
            ])
            rollout = String(captured.split(separator: " ").first ?? "")
            _ = try hallmark(["rollout", "verify", "roots/served", "--key", "keys/release.pub"])
            for (name, role) in [("ops", "admin"), ("rel", "releaser"), ("alice", "approver"), ("bob", "approver"), ("dash", "viewer")] {
                tokens[name] = try hallmark(["serve", "token", "create", "--role", role, "--name", name])
            }
        }

        func hallmark(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessOutput {
            try ProcessRunner.hallmark(arguments, in: dir.path, environment: ["HALLMARK_STORE": store].merging(environment) { $1 })
        }

        func serve(_ extra: [String] = []) throws -> ServeFixture {
            try ServeFixture(["--store", store, "--signing-key", "keys/release.key", "--artifact-root", "roots"] + extra, in: dir.path)
        }

        func logSize(_ server: ServeFixture) throws -> Int {
            Int(try server.get("/readyz").json["treeSize"] as? String ?? "") ?? -1
        }
    }

    @Test("The governed flow over HTTP: request, two approvals signed by the approvers' command, execute, rollback; audit verifies")
    func flow() throws {
        let world = try World()
        let server = try world.serve()
        let ops = world.tokens["ops"]!, rel = world.tokens["rel"]!, alice = world.tokens["alice"]!, bob = world.tokens["bob"]!

        // A releaser asks; the server signs the request for it and records who asked.
        let made = try server.post("/promotion-requests", token: rel, json: #"{"rollout": "\#(world.rollout)", "targetRing": "canary", "expires": "2h"}"#)
        #expect(made.status == 201, "\(made.body)")
        let request = made.json["id"] as? String ?? ""
        #expect(request.hasPrefix("pr-"))
        let shown = try server.get("/promotion-requests/\(request)", token: world.tokens["dash"])
        #expect(shown.status == 200 && (shown.json["request"] as? [String: Any])?["actor"] as? String == "rel", "\(shown.body)")
        #expect((shown.json["readiness"] as? [String: Any])?["verdict"] as? String == "incomplete", "\(shown.body)")

        // alice's command signs and submits; bob's signs only, and the envelope is posted as is.
        let aliceVote = try world.hallmark(["promote", "approve", request, "--server", server.base, "--key", "keys/alice.key", "--token", alice])
        #expect(aliceVote.status == 0 && aliceVote.stdout.hasPrefix("pa-"), "\(aliceVote.stderr)")
        let signed = try world.hallmark(["promote", "approve", request, "--server", server.base, "--key", "keys/bob.key", "--sign-only"], environment: ["HALLMARK_TOKEN": bob])
        #expect(signed.status == 0, "\(signed.stderr)")
        let posted = try server.call("POST", "/promotion-requests/\(request)/approvals", token: bob, body: signed.stdoutData)
        #expect(posted.status == 201, "\(posted.body)")
        let again = try server.call("POST", "/promotion-requests/\(request)/approvals", token: bob, body: signed.stdoutData)
        #expect(again.status == 200 && again.json["existing"] as? Bool == true, "\(again.body)")
        let approvals = try server.get("/promotion-requests/\(request)/approvals", token: rel)
        #expect((approvals.json["approvals"] as? [Any])?.count == 2 && approvals.json["required"] as? Int == 2, "\(approvals.body)")

        // An approver may not execute; a releaser may, once; a repeat answers the first execution.
        #expect(try server.post("/promotion-requests/\(request)/executions", token: alice, json: "{}").status == 403)
        let executed = try server.call("POST", "/promotion-requests/\(request)/executions", token: rel, body: nil)
        #expect(executed.status == 201, "\(executed.body)")
        let execution = executed.json["id"] as? String ?? ""
        let repeated = try server.post("/promotion-requests/\(request)/executions", token: ops, json: #"{"status": "succeeded"}"#)
        #expect(repeated.status == 200 && repeated.json["id"] as? String == execution, "\(repeated.body)")
        let listed = try server.get("/promotion-executions?ring=canary&change_record=CHG-500", token: world.tokens["dash"])
        #expect(listed.status == 200 && listed.body.contains(execution), "\(listed.body)")
        let audit = try server.get("/promotion-executions/\(execution)", token: world.tokens["dash"])
        let links = audit.json["links"] as? [String: Any] ?? [:]
        #expect(links["request"] as? String == request && links["rollout"] as? String == world.rollout && links["changeRecord"] as? String == "CHG-500")
        #expect((links["approvals"] as? [String])?.count == 2)

        // A rollback needs a version that ran on the ring before: none yet.
        let early = try server.post("/rollback-requests", token: rel, json: #"{"execution": "\#(execution)", "toVersion": "v0.9.0", "reason": "errors"}"#)
        #expect(early.status == 400 && early.body.contains("no earlier successful execution"), "\(early.body)")

        // v1.1.0 to canary, with a request its requester signed elsewhere (a copy of the store) and submitted as is.
        let captured = try world.hallmark([
            "rollout", "capture", "v1.1.0", "--deployment-id", "served-2", "--change-record", "CHG-501", "--key", "keys/release.key", "--out", "roots/served-2",
        ])
        let second = String(captured.stdout.split(separator: " ").first ?? "")
        #expect(try world.hallmark(["rollout", "verify", "roots/served-2", "--key", "keys/release.pub"]).status == 0)
        try FileManager.default.copyItem(atPath: world.dir.url("state"), toPath: world.dir.url("elsewhere"))
        let elsewhere = try world.hallmark(
            ["promote", "request", second, "--target-ring", "canary", "--key", "keys/release.key"], environment: ["HALLMARK_STORE": "sqlite:" + world.dir.url("elsewhere/evidence.db")])
        let signedRequest = String(elsewhere.stdout.split(separator: " ").first ?? "")
        let body = try ProcessRunner.run("python3", [
            "-c", "import sqlite3,sys; sys.stdout.write(sqlite3.connect(sys.argv[1]).execute('select body from log_entries where record_id=?', (sys.argv[2],)).fetchone()[0].decode())",
            world.dir.url("elsewhere/evidence.db"), signedRequest,
        ]).stdout
        let submitted = try server.post("/promotion-requests", token: rel, json: #"{"envelope": \#(body)}"#)
        #expect(submitted.status == 201 && submitted.json["id"] as? String == signedRequest, "\(submitted.body)")
        for (key, token) in [("keys/alice.key", alice), ("keys/carol.key", bob)] {
            #expect(try world.hallmark(["promote", "approve", signedRequest, "--server", server.base, "--key", key, "--token", token]).status == 0)
        }
        let newer = try server.post("/promotion-requests/\(signedRequest)/executions", token: rel, json: "{}").json["id"] as? String ?? ""
        #expect(newer.hasPrefix("px-"))

        // Evidence files are named by plain file names only.
        _ = try world.dir.write("graph\u{1B}[2J.png", "not a graph")
        let oddName = try world.hallmark(["rollback", "request", newer, "--to", "v1.0.0", "--reason", "x", "--evidence", "graph\u{1B}[2J.png", "--key", "keys/release.key"])
        #expect(oddName.status == 2 && oddName.stderr.contains("plain, unique file name"), "\(oddName.stderr)")

        // Roll canary back to v1.0.0 over the API: request, two approvals, execute; the execution links it.
        let rollback = try server.post("/rollback-requests", token: rel, json: #"{"execution": "\#(newer)", "toVersion": "v1.0.0", "reason": "error rate 4%"}"#)
        #expect(rollback.status == 201, "\(rollback.body)")
        let rollbackRequest = rollback.json["id"] as? String ?? ""
        #expect(rollbackRequest.hasPrefix("rr-"))
        #expect(try server.get("/rollback-requests?ring=canary", token: rel).body.contains(rollbackRequest))
        for (key, token) in [("keys/bob.key", bob), ("keys/carol.key", alice)] {
            let vote = try world.hallmark(["promote", "approve", rollbackRequest, "--server", server.base, "--key", key, "--token", token])
            #expect(vote.status == 0, "\(vote.stderr)")
        }
        let reversed = try server.post("/rollback-requests/\(rollbackRequest)/executions", token: rel, json: "{}")
        #expect(reversed.status == 201 && (reversed.json["id"] as? String ?? "").hasPrefix("rx-"), "\(reversed.body)")
        let newerLinks = try server.get("/promotion-executions/\(newer)", token: rel).json["links"] as? [String: Any] ?? [:]
        #expect(newerLinks["rollbackRequests"] as? [String] == [rollbackRequest])
        #expect(newerLinks["rollbackExecutions"] as? [String] == [reversed.json["id"] as? String ?? ""])
        #expect(try server.get("/promotion-executions?kind=rollback-execution", token: rel).body.contains(reversed.json["id"] as? String ?? "-"))

        // Every write is in the log, attributed, and the log verifies.
        #expect(try world.logSize(server) == 14)
        let verify = try world.hallmark(["audit", "verify"])
        #expect(verify.status == 0, "\(verify.stderr)")
        let execRecord = try server.get("/evidence/\(execution)", token: world.tokens["dash"])
        let statement = execRecord.json["statement"] as? [String: Any] ?? [:]
        #expect((statement["predicate"] as? [String: Any])?["actor"] as? String == "rel", "\(execRecord.body)")
    }

    @Test("Refused, with a problem code and nothing written: no token, a wrong role, forged and altered decisions, bad bodies")
    func refusals() throws {
        let world = try World()
        let server = try world.serve(["--max-body-kib", "8"])
        let rel = world.tokens["rel"]!, alice = world.tokens["alice"]!, dash = world.tokens["dash"]!
        let request = try server.post("/promotion-requests", token: rel, json: #"{"rollout": "\#(world.rollout)", "targetRing": "canary"}"#).json["id"] as? String ?? ""

        // Auth.
        let none = try server.get("/evidence")
        #expect(none.status == 401 && none.headers.lowercased().contains("www-authenticate: bearer") && none.body.contains("auth.token-missing"))
        #expect(try server.get("/evidence", token: "hm_" + String(repeating: "A", count: 43)).status == 401)
        #expect(try server.get("/evidence", token: "nonsense").status == 401)
        #expect(try server.post("/promotion-requests", token: dash, json: #"{"rollout": "\#(world.rollout)", "targetRing": "canary"}"#).status == 403)
        let revoked = try world.hallmark(["serve", "token", "revoke", "--name", "dash"])
        #expect(revoked.status == 0)
        Thread.sleep(forTimeInterval: 2.2)  // a node keeps a caller for two seconds
        #expect(try server.get("/evidence", token: dash).status == 401)

        // A decision signed by a key that is not an approver's, by the requester's, and one altered after signing.
        let mallory = try world.hallmark(["promote", "approve", request, "--server", server.base, "--key", "keys/mallory.key", "--sign-only", "--token", rel])
        #expect(mallory.status == 0, "\(mallory.stderr)")
        let forged = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: mallory.stdoutData)
        #expect(forged.status == 409 && forged.body.contains("promotion.approver-invalid"), "\(forged.body)")
        let own = try world.hallmark(["promote", "approve", request, "--server", server.base, "--key", "keys/release.key", "--sign-only", "--token", rel])
        let selfApproval = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: own.stdoutData)
        #expect(selfApproval.status == 409 && selfApproval.body.contains("promotion.approver-invalid"), "\(selfApproval.body)")
        let honest = try world.hallmark(["promote", "approve", request, "--server", server.base, "--key", "keys/alice.key", "--sign-only", "--token", rel])
        var envelope = try JSONSerialization.jsonObject(with: honest.stdoutData) as? [String: Any] ?? [:]
        let payload = Data(base64Encoded: envelope["payload"] as? String ?? "") ?? Data()
        let altered = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "\"approve\"", with: "\"reject\"")
        envelope["payload"] = Data(altered.utf8).base64EncodedString()
        let tampered = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: try JSONSerialization.data(withJSONObject: envelope))
        #expect(tampered.status == 409 && tampered.body.contains("evidence.signature-invalid"), "\(tampered.body)")
        var extra = try JSONSerialization.jsonObject(with: honest.stdoutData) as? [String: Any] ?? [:]
        extra["note"] = "hi"
        let unknownField = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: try JSONSerialization.data(withJSONObject: extra))
        #expect(unknownField.status == 400 && unknownField.body.contains("unknown field note"), "\(unknownField.body)")
        // Sent to another request's path.
        let elsewhere = try server.call("POST", "/promotion-requests/pr-000000000000000000000000/approvals", token: alice, body: honest.stdoutData)
        #expect(elsewhere.status == 400, "\(elsewhere.body)")

        // Bytes of a stored record chosen by someone other than its signer: a keyid the signature does not cover,
        // a Statement field outside the predicate, a backdated time (each re-signed with alice's own key).
        var rekeyed = try JSONSerialization.jsonObject(with: honest.stdoutData) as? [String: Any] ?? [:]
        rekeyed["signatures"] = [["keyid": String(repeating: "ab", count: 500), "sig": ((rekeyed["signatures"] as? [[String: Any]])?.first?["sig"] as? String) ?? ""]]
        let keyid = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: try JSONSerialization.data(withJSONObject: rekeyed))
        #expect(keyid.status == 400 && keyid.body.contains("keyid"), "\(keyid.body)")
        let widened = try Self.resign(honest.stdoutData, key: world.dir.url("keys/alice.key"), edit: "s['comment_hidden'] = 'approved by the CISO'")
        let extraField = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: widened)
        #expect(extraField.status == 400 && extraField.body.contains("besides _type"), "\(extraField.body)")
        let backdated = try Self.resign(honest.stdoutData, key: world.dir.url("keys/alice.key"), edit: "s['predicate']['createdAt'] = '1999-01-01T00:00:00Z'")
        let old = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: backdated)
        #expect(old.status == 400 && old.body.contains("15 minutes"), "\(old.body)")
        let offset = try Self.resign(honest.stdoutData, key: world.dir.url("keys/alice.key"), edit: "s['predicate']['createdAt'] = s['predicate']['createdAt'].replace('Z', '+00:00')")
        #expect(try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: offset).status == 400)
        // The envelope itself: one signature, standard base64; the decision's link and subject its request's.
        var twice = try JSONSerialization.jsonObject(with: honest.stdoutData) as? [String: Any] ?? [:]
        twice["signatures"] = ((twice["signatures"] as? [Any]) ?? []) + ((twice["signatures"] as? [Any]) ?? [])
        let twoSignatures = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: try JSONSerialization.data(withJSONObject: twice))
        #expect(twoSignatures.status == 400 && twoSignatures.body.contains("exactly one signature"), "\(twoSignatures.body)")
        var urlSafe = try JSONSerialization.jsonObject(with: honest.stdoutData) as? [String: Any] ?? [:]
        urlSafe["payload"] = (urlSafe["payload"] as? String ?? "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let base64 = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: try JSONSerialization.data(withJSONObject: urlSafe))
        #expect(base64.status == 400 && base64.body.contains("standard base64"), "\(base64.body)")
        let otherDigest = try Self.resign(honest.stdoutData, key: world.dir.url("keys/alice.key"), edit: "s['predicate']['request']['sha256'] = '00' * 32")
        let wrongLink = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: otherDigest)
        #expect(wrongLink.status == 409 && wrongLink.body.contains("promotion.link-invalid"), "\(wrongLink.body)")
        let otherSubject = try Self.resign(honest.stdoutData, key: world.dir.url("keys/alice.key"), edit: "s['subject'][0]['digest']['sha256'] = '00' * 32")
        let wrongSubject = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: otherSubject)
        #expect(wrongSubject.status == 400 && wrongSubject.body.contains("its subject must be"), "\(wrongSubject.body)")
        let subjectField = try Self.resign(honest.stdoutData, key: world.dir.url("keys/alice.key"), edit: "s['subject'][0]['note'] = 'approved by the CISO'")
        let nested = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: subjectField)
        #expect(nested.status == 400 && nested.body.contains("not exactly what Hallmark writes"), "\(nested.body)")
        let ahead = try Self.resign(
            honest.stdoutData, key: world.dir.url("keys/alice.key"),
            edit: "import datetime; s['predicate']['createdAt'] = (datetime.datetime.utcnow() + datetime.timedelta(minutes=5)).strftime('%Y-%m-%dT%H:%M:%SZ')")
        let future = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: ahead)
        #expect(future.status == 400 && future.body.contains("last 15 minutes"), "\(future.body)")
        // A request for a rollout whose change record has a K, signed with the Kelvin sign (U+212A) in its place:
        // equal to Swift's ==, not byte for byte, so searches by the change record would not find it.
        let kelvinRollout = try world.hallmark([
            "rollout", "capture", "v1.0.0", "--deployment-id", "k-test", "--change-record", "OPS-K42", "--key", "keys/release.key", "--out", "roots/k-test",
        ])
        #expect(try world.hallmark(["rollout", "verify", "roots/k-test", "--key", "keys/release.pub"]).status == 0)
        let kelvinID = String(kelvinRollout.stdout.split(separator: " ").first ?? "")
        let genuine = try server.post("/promotion-requests", token: rel, json: #"{"rollout": "\#(kelvinID)", "targetRing": "canary"}"#).json["id"] as? String ?? ""
        let genuineEnvelope = Data((try server.get("/promotion-requests/\(genuine)", token: rel).json["envelope"] as? String ?? "").utf8)
        let lookalike = try Self.resign(
            genuineEnvelope, key: world.dir.url("keys/release.key"),
            edit: "s['predicate']['changeRecord'] = 'OPS-\\u212a42'; s['predicate']['nonce'] = 'ab' * 16; del s['predicate']['actor']")
        let kelvin = try server.post("/promotion-requests", token: rel, json: #"{"envelope": \#(String(decoding: lookalike, as: UTF8.self))}"#)
        #expect(kelvin.status == 409 && kelvin.body.contains("promotion.link-invalid"), "\(kelvin.body)")
        // Every other check of a submitted request, each broken alone (re-signed by the requester's key).
        let requestChecks: [(String, Int, String)] = [
            ("s['predicate']['nonce'] = 'xyz'", 400, "nonce must be 32"),
            ("s['predicate']['expiresAt'] = '2099-01-01T00:00:00Z'", 409, "promotion.expired"),
            ("s['predicate']['evidence']['index'] = '00' * 32", 409, "promotion.link-invalid"),
            ("s['predicate']['actor'] = 'ops'", 400, "its actor is"),
            ("s['predicate']['targetRing'] = 'moon'", 400, "not one of"),
            ("s['subject'][0]['digest']['sha256'] = '00' * 32", 400, "its subjects are not"),
        ]
        for (n, (edit, status, text)) in requestChecks.enumerated() {
            let broken = try Self.resign(genuineEnvelope, key: world.dir.url("keys/release.key"), edit: "s['predicate']['nonce'] = '%032x' % \(n + 7); " + edit)
            let answer = try server.post("/promotion-requests", token: rel, json: #"{"envelope": \#(String(decoding: broken, as: UTF8.self))}"#)
            #expect(answer.status == status && answer.body.contains(text), "\(edit): \(answer.body)")
        }
        let sizeBefore = try world.logSize(server)

        // A request posted to the other kind's route is refused before anything is written.
        let shown = try server.get("/promotion-requests/\(request)", token: rel).json["envelope"] as? String ?? ""
        let wrongRoute = try server.post("/rollback-requests", token: rel, json: #"{"envelope": \#(shown)}"#)
        #expect(wrongRoute.status == 400 && wrongRoute.body.contains("expected rollback-request"), "\(wrongRoute.body)")
        #expect(try world.logSize(server) == sizeBefore)

        // A stale decision: signed before another landed; the command signs again by itself.
        let bobEarly = try world.hallmark(["promote", "approve", request, "--server", server.base, "--key", "keys/bob.key", "--sign-only", "--token", rel])
        #expect(try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: honest.stdoutData).status == 201)
        let stale = try server.call("POST", "/promotion-requests/\(request)/approvals", token: alice, body: bobEarly.stdoutData)
        #expect(stale.status == 409 && stale.body.contains("promotion.stale"), "\(stale.body)")
        let resigned = try world.hallmark(["promote", "approve", request, "--server", server.base, "--key", "keys/bob.key", "--token", alice])
        #expect(resigned.status == 0, "\(resigned.stderr)")
        #expect(try world.logSize(server) == sizeBefore + 2)

        // Bodies: malformed JSON, unknown fields, oversized, the wrong media type; ids and names that are not.
        let sizeNow = try world.logSize(server)
        #expect(try server.post("/promotion-requests", token: rel, json: "{nope").status == 400)
        let unknown = try server.post("/promotion-requests", token: rel, json: #"{"rollout": "\#(world.rollout)", "targetRing": "canary", "admin": true}"#)
        #expect(unknown.status == 400 && unknown.body.contains("unknown field admin"), "\(unknown.body)")
        let big = try server.post("/promotion-requests", token: rel, json: #"{"rollout": ""# + String(repeating: "x", count: 20_000) + #""}"#)
        #expect(big.status == 413, "\(big.body)")
        let form = try server.call("POST", "/promotion-requests", token: rel, body: Data("rollout=x".utf8), contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 415, "\(form.body)")
        #expect(try server.get("/evidence/\(world.rollout)/artifacts/..%2F..%2Fkeys%2Frelease.key", token: rel).status == 400)
        #expect(try server.get("/evidence/\(world.rollout)/artifacts/release/../../keys/release.key", token: rel).status != 200)
        #expect(try server.get("/promotion-requests/\(world.rollout)", token: rel).status == 404)
        #expect(try server.call("DELETE", "/evidence", token: rel).status == 405)
        // The scheme is case-insensitive; a problem never names the store's location.
        #expect(try server.call("GET", "/evidence?limit=1", headers: ["Authorization: bearer \(rel)"]).status == 200)
        let missing = try server.get("/evidence/px-000000000000000000000000", token: rel)
        #expect(missing.status == 404 && !missing.body.contains("evidence.db"), "\(missing.body)")
        // The console shows only its own notices.
        let spoofed = try server.call("GET", "/ui/requests/\(request)?message=Approved%20by%20the%20CISO", headers: ["Cookie: hallmark_session=\(rel)"])
        #expect(spoofed.status == 200 && !spoofed.body.contains("Approved by the CISO"))
        let forgedNotice = try server.call("GET", "/ui/requests/\(request)?message=recorded%20pa-000000000000000000000000", headers: ["Cookie: hallmark_session=\(rel)"])
        #expect(forgedNotice.status == 200 && !forgedNotice.body.contains("recorded pa-000000000000000000000000"))
        #expect(try world.logSize(server) == sizeNow)
        #expect(try world.hallmark(["audit", "verify"]).status == 0)
    }

    /// `envelope` (a record alice signed) with its Statement edited by the Python statement `edit` (on `s`), signed
    /// again with `key`: a record its signer made, with content of the attacker's choosing.
    static func resign(_ envelope: Data, key: String, edit: String) throws -> Data {
        let script = """
            import base64, json, sys
            from cryptography.hazmat.primitives.serialization import load_pem_private_key
            e = json.loads(sys.stdin.read())
            s = json.loads(base64.b64decode(e['payload']))
            \(edit)
            body = json.dumps(s, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode()
            t = e['payloadType'].encode()
            pae = b'DSSEv1 %d %s %d %s' % (len(t), t, len(body), body)
            k = load_pem_private_key(open(sys.argv[1], 'rb').read(), None)
            e['payload'] = base64.b64encode(body).decode()
            e['signatures'][0]['sig'] = base64.b64encode(k.sign(pae)).decode()
            print(json.dumps(e))
            """
        let result = try ProcessRunner.run("python3", ["-c", script, key], stdin: envelope)
        guard result.status == 0 else { throw FixtureError("resign: \(result.stderr)") }
        return result.stdoutData
    }

    @Test("Reads: search, a record with its proof, files with integrity and readiness, downloads, the bundle, metrics")
    func reads() throws {
        let world = try World()
        let server = try world.serve()
        let dash = world.tokens["dash"]!
        #expect(try server.get("/healthz").status == 200)
        #expect(try server.get("/log/checkpoint").json["treeSize"] as? Int == 1)
        let search = try server.get("/evidence?kind=rollout&change_record=CHG-500&environment=production&limit=1", token: dash)
        #expect(search.status == 200 && search.body.contains(world.rollout), "\(search.body)")
        let shown = try server.get("/evidence/\(world.rollout)", token: dash)
        #expect(shown.status == 200 && shown.json["verified"] as? Bool == true)
        #expect(try server.get("/log/proof/\(world.rollout)", token: dash).json["leafHash"] != nil)
        let cef = try server.get("/audit/export?format=cef", token: dash)
        #expect(cef.status == 200 && cef.body.split(separator: "\n").count == 1)

        let artifacts = try server.get("/evidence/\(world.rollout)/artifacts", token: dash)
        let files = artifacts.json["files"] as? [[String: Any]] ?? []
        #expect(files.count == 4 && files.allSatisfy { $0["integrity"] as? String == "verified" }, "\(artifacts.body)")
        let readiness = artifacts.json["readiness"] as? [[String: Any]] ?? []
        #expect(readiness.map { $0["targetRing"] as? String } == ["canary", "staging", "production"])
        #expect(readiness.allSatisfy { $0["verdict"] as? String == "incomplete" })

        // curl -OJ keeps the file's name; the bytes are the record's.
        let out = try TemporaryDirectory("downloads")
        let fetched = try ProcessRunner.run(
            "curl", ["-s", "-f", "-O", "-J", "-H", "Authorization: Bearer \(dash)", server.base + "/evidence/\(world.rollout)/artifacts/release/index.json"], in: out.path)
        #expect(fetched.status == 0)
        #expect(FileManager.default.contentsEqual(atPath: out.url("index.json"), andPath: world.dir.url("roots/served/release/index.json")))
        let bundle = try ProcessRunner.run(
            "curl", ["-s", "-f", "-O", "-J", "-H", "Authorization: Bearer \(dash)", server.base + "/evidence/\(world.rollout)/artifact-bundle"], in: out.path)
        #expect(bundle.status == 0)
        let zip = out.url("\(world.rollout)-artifacts.zip")
        let again = try server.call("GET", "/evidence/\(world.rollout)/artifact-bundle", token: dash)
        #expect(again.status == 200)
        #expect(try ProcessRunner.run("unzip", ["-q", zip, "-d", out.url("unzipped")]).status == 0)
        let check = try ProcessRunner.run("sha256sum", ["-c", "checksums.txt"], in: out.url("unzipped"))
        #expect(check.status == 0 && check.stdout.contains("rollout-evidence.json: OK"), "\(check.stdout)")
        // The same store gives the same zip.
        let second = try ProcessRunner.run("curl", ["-s", "-f", "-o", out.url("second.zip"), "-H", "Authorization: Bearer \(dash)", server.base + "/evidence/\(world.rollout)/artifact-bundle"])
        #expect(second.status == 0 && FileManager.default.contentsEqual(atPath: zip, andPath: out.url("second.zip")))

        // A changed copy is named, not served, and no bundle is made.
        _ = try world.dir.write("roots/served/rollout-evidence.md", "changed\n")
        let changed = try server.get("/evidence/\(world.rollout)/artifacts", token: dash)
        let summary = (changed.json["files"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "rollout-evidence.md" } ?? [:]
        #expect(summary["integrity"] as? String == "mismatch" && summary["size"] == nil, "\(changed.body)")
        #expect(try server.get("/evidence/\(world.rollout)/artifacts/rollout-evidence.md", token: dash).status == 409)
        #expect(try server.get("/evidence/\(world.rollout)/artifact-bundle", token: dash).status == 409)
        // A file over the 512 MiB limit (sparse) is named as such; the others are still checked.
        let big = world.dir.url("roots/served/release/index.json")
        let saved = try Data(contentsOf: URL(fileURLWithPath: big))
        #expect(truncate(big, 513 * 1024 * 1024) == 0)
        let oversized = (try server.get("/evidence/\(world.rollout)/artifacts", token: dash).json["files"] as? [[String: Any]] ?? [])
            .map { "\($0["name"] ?? ""):\($0["integrity"] ?? "")" }
        #expect(oversized.contains("release/index.json:too-large") && oversized.contains("rollout-evidence.json:verified"), "\(oversized)")
        try saved.write(to: URL(fileURLWithPath: big))
        // A link out of the root is not followed, for a file or for a directory on the way; a FIFO does not block.
        try FileManager.default.removeItem(atPath: world.dir.url("roots/served/release/index.json"))
        try FileManager.default.createSymbolicLink(atPath: world.dir.url("roots/served/release/index.json"), withDestinationPath: world.dir.url("keys/release.key"))
        #expect(try server.get("/evidence/\(world.rollout)/artifacts/release/index.json", token: dash).status == 404)
        try FileManager.default.createDirectory(atPath: world.dir.url("outside"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: world.dir.url("roots/served/release/greet.endpoint-deployment.json"), toPath: world.dir.url("outside/greet.endpoint-deployment.json"))
        try FileManager.default.moveItem(atPath: world.dir.url("roots/served/release"), toPath: world.dir.url("release-moved"))
        try FileManager.default.createSymbolicLink(atPath: world.dir.url("roots/served/release"), withDestinationPath: world.dir.url("outside"))
        #expect(try server.get("/evidence/\(world.rollout)/artifacts/release/greet.endpoint-deployment.json", token: dash).status == 404)
        try FileManager.default.removeItem(atPath: world.dir.url("roots/served/rollout-evidence.md"))
        #expect(mkfifo(world.dir.url("roots/served/rollout-evidence.md"), 0o644) == 0)
        let listed = try server.get("/evidence/\(world.rollout)/artifacts", token: dash)
        let states = (listed.json["files"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? ""):\($0["integrity"] ?? "")" }
        #expect(states.contains("rollout-evidence.md:missing") && states.contains("release/index.json:missing"), "\(listed.body)")
        #expect(try server.get("/healthz").status == 200)

        let metrics = try server.get("/metrics")
        #expect(metrics.status == 200 && metrics.body.contains("hallmark_http_requests_total") && metrics.body.contains("hallmark_log_size 1"), "\(metrics.body.prefix(300))")
        #expect(try server.get("/openapi.yaml").body.hasPrefix("openapi: 3.1.0"))
        let unknown = try server.get("/evidence/px-000000000000000000000000", token: dash)
        #expect(unknown.status == 404 && unknown.json["status"] as? Int == 404, "\(unknown.body)")
        let bad = try server.get("/evidence?limit=100000", token: dash)
        #expect(bad.status == 400 && bad.json["code"] as? String == "usage", "\(bad.body)")
        #expect(try server.get("/evidence?nope=1", token: dash).status == 400)
    }
}
