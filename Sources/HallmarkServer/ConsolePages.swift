import Foundation
import HallmarkCore
import HallmarkEngine
import Hummingbird

/// The console's HTML. Built as strings with every value passed through ``escape(_:)``; no template toolchain.
enum ConsolePages {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" { out += "\u{FFFD}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// A query-string component.
    static func component(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? ""
    }

    static func page(_ title: String, _ body: String, caller: APITokens.Caller?, status: HTTPResponse.Status = .ok) -> Response {
        let who = caller.map {
            "<span class=\"who\">\(escape($0.name)) · \(escape($0.role.rawValue))</span><form method=\"post\" action=\"/ui/logout\" class=\"inline\"><button>Sign out</button></form>"
        } ?? ""
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Hallmark</title><link rel="stylesheet" href="/ui/style.css"></head>
            <body><header><a class="brand" href="/ui/evidence">Hallmark</a><nav><a href="/ui/evidence">Evidence</a>
            <a href="/ui/evidence?kind=promotion-request">Requests</a><a href="/ui/evidence?kind=promotion-execution">Executions</a>
            <a href="/ui/evidence?kind=rollback-request">Rollbacks</a></nav>\(who)</header>
            <main>\(body)</main>
            <script src="/ui/console.js"></script>
            </body></html>
            """
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .init("Content-Security-Policy")!: "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
                .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "same-origin",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func error(_ status: HTTPResponse.Status, detail: String, code: String) -> Response {
        page("\(status.code) \(status.reasonPhrase)", """
            <h1>\(status.code) \(escape(status.reasonPhrase))</h1>
            <p class="problem"><code>\(escape(code))</code> \(escape(detail))</p>
            <p><a href="/ui/evidence">Back to the evidence</a></p>
            """, caller: nil, status: status)
    }

    static func login(message: String?, status: HTTPResponse.Status = .ok) -> Response {
        page("Sign in", """
            <h1>Sign in</h1>
            \(message.map { "<p class=\"problem\">\(escape($0))</p>" } ?? "")
            <form method="post" action="/ui/login" class="card">
            <label>API token <input type="password" name="token" autocomplete="off" required placeholder="hm_…"></label>
            <button type="submit">Sign in</button>
            <p class="hint">An administrator makes tokens with <code>hallmark serve token create --role viewer --name YOU</code>.</p>
            </form>
            """, caller: nil, status: status)
    }

    static func badge(_ text: String) -> String {
        "<span class=\"badge \(escape(text))\">\(escape(text))</span>"
    }

    static func link(_ id: String) -> String {
        let target: String
        if id.hasPrefix("pr-") || id.hasPrefix("rr-") {
            target = "/ui/requests/"
        } else if id.hasPrefix("px-") || id.hasPrefix("rx-") {
            target = "/ui/executions/"
        } else {
            target = "/ui/evidence/"
        }
        return "<a href=\"\(target)\(component(id))\"><code>\(escape(id))</code></a>"
    }

    // MARK: Search

    static let filterFields: [(String, String, [String])] = [
        ("kind", "Kind", ["", "rollout", "promotion-request", "promotion-approval", "promotion-execution", "rollback-request", "rollback-execution"]),
        ("status", "Status", ["", "staged", "succeeded", "failed", "pending", "approved", "rejected"]),
        ("approval_state", "Approval", ["", "pending", "approved", "rejected"]),
        ("execution_status", "Execution", ["", "succeeded", "failed"]),
    ]
    static let textFilters = [
        ("environment", "Environment"), ("deployment_target", "Target"), ("ring", "Ring"), ("version", "Version"),
        ("change_record", "Change record"), ("since", "Since"), ("until", "Until"),
    ]

    static func search(query: [(String, String)], result: EvidenceSearch.Result, caller: APITokens.Caller) -> Response {
        func value(_ name: String) -> String { query.first { $0.0 == name }?.1 ?? "" }
        var filters = ""
        for (name, label, options) in filterFields {
            let choices = options.map { option in
                "<option value=\"\(escape(option))\"\(value(name) == option ? " selected" : "")>\(option.isEmpty ? "any" : escape(option))</option>"
            }.joined()
            filters += "<label>\(label) <select name=\"\(name)\">\(choices)</select></label>"
        }
        for (name, label) in textFilters {
            filters += "<label>\(label) <input name=\"\(name)\" value=\"\(escape(value(name)))\"></label>"
        }
        let rows = result.records.map { hit in
            """
            <tr><td>\(link(hit.id))</td><td>\(escape(hit.kind))</td><td>\(badge(hit.status ?? hit.approvalState ?? hit.executionStatus ?? "—"))</td>
            <td>\(escape(hit.environment ?? ""))</td><td>\(escape(hit.ring ?? ""))</td><td>\(escape(hit.version ?? ""))</td>
            <td>\(escape(hit.changeRecord ?? ""))</td><td>\(escape(hit.time))</td></tr>
            """
        }.joined(separator: "\n")
        var next = ""
        if let cursor = result.nextBefore {
            let kept = query.filter { $0.0 != "cursor" }.map { "\(component($0.0))=\(component($0.1))" }
            next = "<p><a class=\"button\" href=\"/ui/evidence?\((kept + ["cursor=\(cursor)"]).joined(separator: "&amp;"))\">Older records →</a></p>"
        }
        return page("Evidence", """
            <h1>Evidence</h1>
            <form method="get" action="/ui/evidence" class="filters card">\(filters)<button type="submit">Search</button>
            <a href="/ui/evidence">Clear</a></form>
            <p class="hint">\(result.count) record\(result.count == 1 ? "" : "s"), newest first.</p>
            <table id="results"><thead><tr><th>Record</th><th>Kind</th><th>State</th><th>Environment</th><th>Ring</th><th>Version</th>
            <th>Change</th><th>Time</th></tr></thead><tbody>\(rows.isEmpty ? "<tr><td colspan=\"8\">No records match.</td></tr>" : rows)</tbody></table>
            \(next)
            """, caller: caller)
    }

    // MARK: A record and its files

    static func readiness(_ report: Readiness.Report) -> String {
        let reasons = report.reasons.map { reason in
            "<li class=\"\(reason.ok ? "ok" : "fail")\"><strong>\(escape(reason.check))</strong> \(reason.code.map { "<code>\(escape($0))</code> " } ?? "")\(escape(reason.message))</li>"
        }.joined()
        let title = [report.targetRing.map { "ring \($0)" }, report.requestId].compactMap { $0 }.joined(separator: " · ")
        return """
            <div class="readiness"><h3>\(badge(report.verdict.rawValue)) \(escape(title))</h3>
            \(report.required.map { "<p>\(report.approvedBy.count) of \($0) approvals</p>" } ?? "")<ul>\(reasons)</ul></div>
            """
    }

    static func record(_ shown: EvidenceLookup.Shown, artifacts: GovernanceViews.ArtifactsView, caller: APITokens.Caller) -> Response {
        let files = artifacts.files.map { file in
            let download = file.integrity == .verified
                ? "<a href=\"/evidence/\(component(shown.id))/artifacts/\(file.name.split(separator: "/").map { component(String($0)) }.joined(separator: "/"))\">download</a>"
                : ""
            return "<tr><td><code>\(escape(file.name))</code></td><td><code title=\"\(escape(file.sha256))\">\(escape(String(file.sha256.prefix(16))))…</code></td><td>\(badge(file.integrity.rawValue))</td><td>\(file.size.map(String.init) ?? "")</td><td>\(download)</td></tr>"
        }.joined()
        let complete = artifacts.files.allSatisfy { $0.integrity == .verified }
        var actions = ""
        if shown.id.hasPrefix("pr-") || shown.id.hasPrefix("rr-") {
            actions = "<p><a class=\"button\" href=\"/ui/requests/\(component(shown.id))\">Open the promotion workflow</a></p>"
        } else if shown.id.hasPrefix("px-") || shown.id.hasPrefix("rx-") {
            actions = "<p><a class=\"button\" href=\"/ui/executions/\(component(shown.id))\">Open the execution audit</a></p>"
        } else if shown.id.hasPrefix("ro-"), caller.role.allows(.releaser), case .object(let statement) = shown.statement,
            case .object(let predicate)? = statement["predicate"], case .array(let rings)? = predicate["rings"]
        {
            let options = rings.compactMap { if case .string(let ring) = $0 { "<option value=\"\(escape(ring))\">\(escape(ring))</option>" } else { nil } }.joined()
            actions = """
                <form method="post" action="/ui/requests" class="card inline-form" id="request-form"><h3>Request a promotion</h3>
                <input type="hidden" name="rollout" value="\(escape(shown.id))">
                <label>Ring <select name="targetRing">\(options)</select></label>
                <label>Expires <input name="expires" value="24h" size="6"></label>
                <button type="submit">Request</button></form>
                """
        }
        let statement = (try? CanonicalJSON.prettyData(shown.statement)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return page(shown.id, """
            <h1>\(escape(shown.kind)) <code>\(escape(shown.id))</code></h1>
            <dl class="facts"><dt>Verified</dt><dd>\(badge(shown.verified ? "verified" : "unverified")) signature and inclusion under the checkpoint of size \(shown.inclusion.treeSize)</dd>
            <dt>sha256</dt><dd><code>\(escape(shown.sha256))</code></dd><dt>Log index</dt><dd>\(shown.logIndex)</dd>
            <dt>Signer</dt><dd><code>\(escape(shown.signer.keyId))</code></dd><dt>Deployment</dt><dd>\(escape(artifacts.deploymentId))</dd></dl>
            \(actions)
            <section id="artifacts" class="card"><h2>Files</h2>
            <table><thead><tr><th>File</th><th>sha256</th><th>Integrity</th><th>Bytes</th><th></th></tr></thead><tbody>\(files)</tbody></table>
            \(complete ? "<p><a class=\"button\" href=\"/evidence/\(component(shown.id))/artifact-bundle\">Download all (zip with checksums.txt)</a></p>" : "<p class=\"problem\">Some files are missing or changed under the artifact root, so there is no bundle.</p>")
            </section>
            <section id="readiness" class="card"><h2>Promotion readiness</h2>\(artifacts.readiness.map(readiness).joined())</section>
            <details><summary>Statement</summary><pre>\(escape(statement))</pre></details>
            """, caller: caller)
    }

    // MARK: The promotion workflow

    static func request(_ view: GovernanceViews.RequestView, server: String, caller: APITokens.Caller, message: String?) -> Response {
        let request = view.request
        let chain = view.chain.map { entry in
            "<tr><td>\(link(entry.id))</td><td>\(escape(entry.kind))</td><td>\(badge(entry.outcome))</td><td><code>\(escape(String(entry.signerKeyId.prefix(16))))…</code></td><td>\(escape(entry.actor ?? ""))</td><td>\(escape(entry.time))</td><td>\(escape(entry.comment ?? ""))</td></tr>"
        }.joined()
        let approved = view.readiness.approvedBy.count
        let required = view.readiness.required ?? 0
        let approvers = view.approvers.map { key in
            "<li><code>\(escape(String(key.prefix(16))))…</code> \(view.readiness.approvedBy.contains(key) ? badge("approved") : "")</li>"
        }.joined()
        let command = "hallmark promote approve \(view.id) --server \(server) --key YOUR-APPROVER-KEY.pem --sign-only > approval.json"
        let ready = view.readiness.verdict == .ready
        var execute = ""
        if let done = view.execution {
            execute = "<p>Executed as \(link(done)).</p>"
        } else if caller.role.allows(.releaser) {
            execute = """
                <form method="post" action="/ui/requests/\(component(view.id))/execute" id="execute-form">
                <label>Outcome <select name="status"><option value="succeeded">succeeded</option><option value="failed">failed</option></select></label>
                <button type="submit"\(ready ? "" : " disabled")>Execute</button>\(ready ? "" : " <span class=\"hint\">Not ready: see the reasons above.</span>")</form>
                """
        }
        var submit = ""
        if view.execution == nil && caller.role.allows(.approver) {
            submit = """
                <form method="post" action="/ui/requests/\(component(view.id))/approvals" id="approval-form">
                <label>Signed decision (the JSON the command printed)<textarea name="envelope" rows="6" required></textarea></label>
                <button type="submit">Submit the signed decision</button></form>
                """
        }
        let rollback = request.rollback.map {
            "<dt>Reverses</dt><dd>\(link($0.execution.id)) back to \(escape($0.toVersion)): \(escape($0.reason))</dd>"
        } ?? ""
        return page(view.id, """
            <h1>\(view.kind == "rollback-request" ? "Rollback" : "Promotion") <code>\(escape(view.id))</code></h1>
            \(message.map { "<p class=\"notice\">\(escape($0))</p>" } ?? "")
            <dl class="facts"><dt>Rollout</dt><dd>\(link(request.rollout.id))</dd><dt>Ring</dt><dd>\(escape(request.targetRing))</dd>
            <dt>Release</dt><dd>\(escape(request.release.name)) \(escape(request.release.version))</dd>
            <dt>Change record</dt><dd><a href="/ui/evidence?change_record=\(component(request.changeRecord))">\(escape(request.changeRecord))</a></dd>
            <dt>Expires</dt><dd>\(escape(request.expiresAt))</dd>\(request.actor.map { "<dt>Requested by</dt><dd>\(escape($0))</dd>" } ?? "")\(rollback)</dl>
            <section class="card" id="approvals"><h2>Approvals: <span id="approval-count">\(approved) of \(required)</span></h2>
            <p>Approvers named by the deployment:</p><ul>\(approvers)</ul>
            <table><thead><tr><th>Record</th><th>Kind</th><th>Decision</th><th>Signer</th><th>Actor</th><th>Time</th><th>Comment</th></tr></thead><tbody>\(chain.isEmpty ? "<tr><td colspan=\"7\">No decisions yet.</td></tr>" : chain)</tbody></table></section>
            <section class="card" id="sign"><h2>Sign a decision</h2>
            <p>An approval is signed where the approver's key is, never here. Run:</p>
            <pre id="sign-command">\(escape(command))</pre><button type="button" data-copy="sign-command" hidden>Copy</button>
            <p class="hint">To reject, run <code>hallmark promote reject</code> with the same options. Without <code>--sign-only</code> (and with <code>--token</code>) the command submits the decision itself.</p>
            \(submit)</section>
            <section class="card" id="readiness"><h2>Readiness</h2>\(readiness(view.readiness))\(execute)</section>
            """, caller: caller)
    }

    // MARK: Executions and rollbacks

    static func execution(_ view: GovernanceViews.ExecutionView, caller: APITokens.Caller) -> Response {
        let execution = view.execution
        let links = view.links
        var rollbackForm = ""
        if view.kind == "promotion-execution", execution.status == .succeeded, caller.role.allows(.releaser) {
            rollbackForm = """
                <form method="post" action="/ui/rollbacks" class="card" id="rollback-form"><h3>Request a rollback</h3>
                <input type="hidden" name="execution" value="\(escape(view.id))">
                <label>Back to version <input name="toVersion" required></label>
                <label>Reason <input name="reason" required></label>
                <button type="submit">Request rollback</button></form>
                """
        }
        return page(view.id, """
            <h1>\(view.kind == "rollback-execution" ? "Rollback execution" : "Execution") <code>\(escape(view.id))</code> \(badge(execution.status.rawValue))</h1>
            <dl class="facts" id="links"><dt>Ring</dt><dd>\(escape(execution.targetRing))</dd>
            <dt>Release</dt><dd>\(escape(execution.release.name)) \(escape(execution.release.version))\(execution.toVersion.map { " → back to \(escape($0))" } ?? "")</dd>
            <dt>Executed</dt><dd>\(escape(execution.executedAt))\(execution.actor.map { " by \(escape($0))" } ?? "")</dd>
            <dt>Request</dt><dd>\(link(links.request))</dd>
            <dt>Approvals</dt><dd>\(links.approvals.map(link).joined(separator: " "))</dd>
            <dt>Rollout</dt><dd>\(link(links.rollout))</dd>
            <dt>Change record</dt><dd><a href="/ui/evidence?change_record=\(component(links.changeRecord))">\(escape(links.changeRecord))</a></dd>
            \(links.previous.map { "<dt>Previous ring</dt><dd>\(link($0))</dd>" } ?? "")
            \(links.reverses.map { "<dt>Reverses</dt><dd>\(link($0))</dd>" } ?? "")
            <dt>Rollback requests</dt><dd>\(links.rollbackRequests.isEmpty ? "none" : links.rollbackRequests.map(link).joined(separator: " "))</dd>
            <dt>Rollback executions</dt><dd>\(links.rollbackExecutions.isEmpty ? "none" : links.rollbackExecutions.map(link).joined(separator: " "))</dd>
            <dt>Targets</dt><dd>\(execution.targets.map { "<code>\(escape($0))</code>" }.joined(separator: " "))</dd></dl>
            <p><a class="button" href="/ui/evidence/\(component(view.id))">Record and files</a></p>
            \(rollbackForm)
            """, caller: caller)
    }

    static let script = """
            document.querySelectorAll('[data-copy]').forEach(function (b) {
              b.hidden = false;
              b.addEventListener('click', function () {
                navigator.clipboard.writeText(document.getElementById(b.dataset.copy).textContent).then(function () { b.textContent = 'Copied'; });
              });
            });
            document.querySelectorAll('form.filters select').forEach(function (s) {
              s.addEventListener('change', function () { s.form.submit(); });
            });
        """

    static let style = """
        :root { --ink: #1d2733; --muted: #5b6b7c; --line: #d9e0e7; --ok: #1f7a4d; --bad: #b3261e; --warn: #8a5a00; --accent: #2456a6; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--ink); background: #f6f8fa; }
        header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.5rem; background: #14212e; color: #fff; }
        header a { color: #cfe0f5; text-decoration: none; margin-right: 1rem; }
        header .brand { font-weight: 700; color: #fff; }
        header nav { flex: 1; }
        header .who { color: #cfe0f5; }
        main { max-width: 1100px; margin: 1.5rem auto; padding: 0 1.5rem; }
        h1 code { font-size: .8em; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
        table { width: 100%; border-collapse: collapse; background: #fff; }
        th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { color: var(--muted); font-weight: 600; font-size: .85em; }
        .filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
        .filters label { display: flex; flex-direction: column; font-size: .85em; color: var(--muted); }
        input, select, textarea, button { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 6px; }
        textarea { width: 100%; font-family: ui-monospace, monospace; font-size: .85em; }
        button, .button { background: var(--accent); color: #fff; border: 0; padding: .4rem .9rem; border-radius: 6px; cursor: pointer; text-decoration: none; display: inline-block; }
        button[disabled] { background: #9aa8b6; cursor: not-allowed; }
        form.inline { display: inline; } form.inline button { background: transparent; border: 1px solid #cfe0f5; }
        label { display: block; margin: .4rem 0; }
        pre { background: #0f1720; color: #e6edf3; padding: .8rem; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
        .badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .8em; font-weight: 600; background: #e8edf2; }
        .badge.verified, .badge.ready, .badge.succeeded, .badge.approved, .badge.approve { background: #dcf3e6; color: var(--ok); }
        .badge.mismatch, .badge.missing, .badge.blocked, .badge.unverified, .badge.failed, .badge.rejected, .badge.reject { background: #fbe3e1; color: var(--bad); }
        .badge.incomplete, .badge.pending, .badge.staged { background: #fdf1d8; color: var(--warn); }
        .readiness li.ok::marker { content: "✓ "; color: var(--ok); }
        .readiness li.fail::marker { content: "✗ "; color: var(--bad); }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; }
        .hint { color: var(--muted); font-size: .9em; }
        .problem { color: var(--bad); }
        .notice { background: #dcf3e6; padding: .5rem .8rem; border-radius: 6px; }
        """
}
