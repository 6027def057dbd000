import Foundation
import HallmarkCore
import HallmarkEngine
import Hummingbird

/// The web console: server-rendered pages over the same handlers as the API. Every page works without JavaScript
/// (forms and links); a few lines of script add copy buttons. Every value shown is HTML-escaped.
struct Console: Sendable {
    let api: EvidenceAPI

    func register(on router: Router<APIContext>, limit: Int) {
        router.get("/") { _, _ in Response.redirect(to: "/ui/evidence", type: .found) }
        router.get("/ui/style.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: ConsolePages.style)))
        }
        router.get("/ui/console.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: ConsolePages.script)))
        }
        router.get("/ui/login") { _, _ in ConsolePages.login(message: nil) }
        router.post("/ui/login") { request, _ in
            let form = try await Self.form(request, limit: 4 * 1024)
            guard let token = form["token"], let caller = try await APITokens(context: api.context, options: api.store).authenticate(token) else {
                return ConsolePages.login(message: "That token is not one this server knows.", status: .unauthorized)
            }
            var response = Response.redirect(to: "/ui/evidence", type: .normal)
            response.headers[.setCookie] = "\(AuthMiddleware.cookie)=\(token); Path=/; HttpOnly; SameSite=Strict"
            return response
        }
        router.post("/ui/logout") { _, _ in
            var response = Response.redirect(to: "/ui/login", type: .normal)
            response.headers[.setCookie] = "\(AuthMiddleware.cookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
            return response
        }
        registerPages(on: router)
        registerForms(on: router, limit: limit)
    }

    /// The pages: search, a record with its files, a request's workflow, an execution's audit.
    func registerPages(on router: Router<APIContext>) {
        router.get("/ui/evidence") { request, context in
            let caller = try context.require(.viewer)
            let query = EvidenceServer.query(request).filter { !$0.1.isEmpty }
            let result = try await api.searchResult(query)
            return ConsolePages.search(query: query, result: result, caller: caller)
        }
        router.get("/ui/evidence/:id") { _, context in
            let caller = try context.require(.viewer)
            let id = try context.parameters.require("id")
            try EvidenceAPI.checkID(id)
            let shown = try await EvidenceLookup(context: api.context, options: api.store).show(id)
            let artifacts = try await api.gated(EvidenceAPI.files, "file reads") { try await api.views.artifacts(id, root: api.settings.artifactRoot) }
            return ConsolePages.record(shown, artifacts: artifacts, caller: caller)
        }
        router.get("/ui/requests/:id") { request, context in
            let caller = try context.require(.viewer)
            let id = try context.parameters.require("id")
            try EvidenceAPI.checkID(id, prefixes: ["pr-", "rr-"])
            let view = try await api.views.request(id)
            let host = request.head.authority ?? "HOST:PORT"
            // Only the notice this console sets after a submission is shown: `recorded pa-…`.
            let message = Self.query(request, "message").flatMap { text -> String? in
                let parts = text.split(separator: " ")
                guard parts.count == 2, parts[0] == "recorded", view.chain.contains(where: { $0.id == parts[1] }) else { return nil }
                return text
            }
            return ConsolePages.request(view, server: "http://\(host)", caller: caller, message: message)
        }
        router.get("/ui/executions/:id") { _, context in
            let caller = try context.require(.viewer)
            let id = try context.parameters.require("id")
            let view = try await api.views.execution(id)
            return ConsolePages.execution(view, caller: caller)
        }
    }

    /// The forms: a promotion or rollback request, a signed decision, an execution.
    func registerForms(on router: Router<APIContext>, limit: Int) {
        router.post("/ui/requests") { request, context in
            let caller = try context.require(.releaser)
            let form = try await Self.form(request, limit: limit)
            var body: [String: JSONValue] = [:]
            for name in ["rollout", "targetRing", "expires"] { if let value = form[name], !value.isEmpty { body[name] = .string(value) } }
            let created = try await api.createdRequest(.object(body), caller: caller, rollback: false).id
            return Response.redirect(to: "/ui/requests/\(created)", type: .normal)
        }
        router.post("/ui/rollbacks") { request, context in
            let caller = try context.require(.releaser)
            let form = try await Self.form(request, limit: limit)
            var body: [String: JSONValue] = [:]
            for name in ["execution", "toVersion", "reason", "expires"] { if let value = form[name], !value.isEmpty { body[name] = .string(value) } }
            let created = try await api.createdRequest(.object(body), caller: caller, rollback: true).id
            return Response.redirect(to: "/ui/requests/\(created)", type: .normal)
        }
        router.post("/ui/requests/:id/approvals") { request, context in
            let caller = try context.require(.approver)
            let id = try context.parameters.require("id")
            try EvidenceAPI.checkID(id, prefixes: ["pr-", "rr-"])
            let form = try await Self.form(request, limit: limit)
            let envelope: JSONValue
            do { envelope = try JSONValue(parsing: Data((form["envelope"] ?? "").utf8)) } catch {
                throw HallmarkError.invalidInput("the envelope is not JSON: paste what hallmark promote approve --sign-only printed")
            }
            let created = try await api.submittedDecision(id, envelope, caller: caller).id
            return Response.redirect(to: "/ui/requests/\(id)?message=recorded%20\(created)", type: .normal)
        }
        router.post("/ui/requests/:id/execute") { request, context in
            let caller = try context.require(.releaser)
            let id = try context.parameters.require("id")
            try EvidenceAPI.checkID(id, prefixes: ["pr-", "rr-"])
            let form = try await Self.form(request, limit: limit)
            var body: [String: JSONValue] = [:]
            if let status = form["status"], !status.isEmpty { body["status"] = .string(status) }
            let created = try await api.executed(id, .object(body), caller: caller).id
            return Response.redirect(to: "/ui/executions/\(created)", type: .normal)
        }
    }

    static func query(_ request: Request, _ name: String) -> String? {
        EvidenceServer.query(request).first { $0.0 == name }?.1
    }

    /// An `application/x-www-form-urlencoded` body.
    static func form(_ request: Request, limit: Int) async throws -> [String: String] {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: limit) } catch {
            throw APIProblem(.contentTooLarge, code: "request.too-large", "the form is larger than \(limit / 1024) KiB")
        }
        var fields: [String: String] = [:]
        for pair in String(decoding: buffer.readableBytesView, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String { String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
