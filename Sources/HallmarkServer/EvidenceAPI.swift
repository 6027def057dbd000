import Foundation
import HallmarkCore
import HallmarkEngine
import Hummingbird

/// The handlers: each reads its parameters, calls one engine operation, and renders JSON.
struct EvidenceAPI: Sendable {
    var context: EngineContext
    var store: EvidenceStoreOptions
    var settings: EvidenceServer.Options

    static let filters = [
        "kind", "status", "environment", "deployment_target", "ring", "approval_state", "execution_status", "version",
        "change_record", "since", "until", "cursor", "limit",
    ]

    /// A search with the query's filters; `kinds` limits `kind` (the first is the default) for the typed lists.
    func searchResult(_ query: [(String, String)], kinds: [String]? = nil) async throws -> EvidenceSearch.Result {
        func value(_ name: String) -> String? { query.first { $0.0 == name }?.1 }
        for (name, _) in query where !Self.filters.contains(name) {
            throw HallmarkError.usage("unknown query parameter \(name.prefix(40)); use \(Self.filters.joined(separator: ", "))")
        }
        var kind = value("kind")
        if let kinds {
            kind = kind ?? kinds[0]
            guard let chosen = kind, kinds.contains(chosen) else { throw HallmarkError.usage("kind must be \(kinds.joined(separator: " or ")) here") }
        }
        var before: Int64?
        if let cursor = value("cursor") {
            guard let parsed = Int64(cursor), parsed >= 0 else { throw HallmarkError.usage("cursor must be a log index (the previous page's nextCursor)") }
            before = parsed
        }
        var limit = 50
        if let text = value("limit") {
            guard let parsed = Int(text) else { throw HallmarkError.usage("limit must be a number from 1 to 1000") }
            limit = parsed
        }
        guard (1...1_000).contains(limit) else { throw HallmarkError.usage("limit must be a number from 1 to 1000") }
        let filter = EvidenceSearch.Filter(
            kind: kind, status: value("status"), environment: value("environment"), deploymentTarget: value("deployment_target"),
            ring: value("ring"), approvalState: value("approval_state"), executionStatus: value("execution_status"),
            version: value("version"), changeRecord: value("change_record"), since: value("since"), until: value("until"),
            before: before, limit: limit)
        return try await EvidenceSearch(context: context, options: store).search(filter)
    }

    func search(_ query: [(String, String)], kinds: [String]? = nil) async throws -> Response {
        let result = try await searchResult(query, kinds: kinds)
        // Built as a JSONValue and written directly: a page is the API's hottest answer.
        var page: [String: JSONValue] = ["schemaVersion": .number("1"), "records": .array(result.records.map(\.jsonValue))]
        if let next = result.nextBefore { page["nextCursor"] = .number(String(next)) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(page).prettyData)))
    }

    func record(_ id: String) async throws -> Response {
        try Self.checkID(id)
        return EvidenceServer.json(try await EvidenceLookup(context: context, options: store).show(id))
    }

    func proof(_ id: String) async throws -> Response {
        try Self.checkID(id)
        return EvidenceServer.json(try await EvidenceLookup(context: context, options: store).proof(id))
    }

    /// Whether `id` is spelled as a record id: a kind prefix and 24 lowercase hex digits.
    static func isID(_ id: String) -> Bool {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && ["ro", "pr", "pa", "px", "rr", "rx"].contains(parts[0]) && parts[1].utf8.count == 24
            && parts[1].utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func checkID(_ id: String, prefixes: [String]? = nil) throws {
        guard isID(id) else {
            throw HallmarkError.usage("\(id.prefix(64)): not a record id (ro-, pr-, pa-, px-, rr- or rx- and 24 hex digits)")
        }
        if let prefixes, !prefixes.contains(where: { id.hasPrefix($0) }) {
            throw HallmarkError.invalidInput("\(id): no such record here (these ids start with \(prefixes.joined(separator: " or ")))")
        }
    }

    func checkpoint() async throws -> Response {
        EvidenceServer.json(try await EvidenceLookup(context: context, options: store).checkpoint())
    }

    func ready() async throws -> Response {
        let size = try await EvidenceLookup(context: context, options: store).ready()
        return EvidenceServer.json(["status": "ready", "treeSize": String(size)])
    }

    /// One audit export at a time per node (an export reads and checks the whole log, and a few at once from the
    /// lowest role must not starve every other request), the others served in turn.
    static let exports = TurnGate(width: 1, queue: 16)
    /// Four file-serving operations at a time per node (a bundle or a files list can read hundreds of MiB).
    static let files = TurnGate(width: 4, queue: 256)

    /// Runs `body` holding `gate`; 429 when too many are waiting.
    func gated<T: Sendable>(_ gate: TurnGate, _ what: String, _ body: () async throws -> T) async throws -> T {
        guard await gate.enter() else {
            throw APIProblem(.tooManyRequests, code: "busy", "too many \(what) are waiting on this node; try again in a few seconds")
        }
        do {
            let value = try await body()
            await gate.leave()
            return value
        } catch {
            await gate.leave()
            throw error
        }
    }

    func auditExport(_ query: [(String, String)]) async throws -> Response {
        try await gated(Self.exports, "audit exports") { try await runAuditExport(query) }
    }

    func runAuditExport(_ query: [(String, String)]) async throws -> Response {
        for (name, _) in query where !["format", "since"].contains(name) {
            throw HallmarkError.usage("unknown query parameter \(name.prefix(40)); use format, since")
        }
        let name = query.first { $0.0 == "format" }?.1 ?? "jsonl"
        guard let format = AuditExport.Format(rawValue: name) else { throw HallmarkError.usage("format must be jsonl, cef, ocsf or servicenow") }
        let since = try query.first { $0.0 == "since" }.map { (pair) throws(HallmarkError) in try EvidenceSearch.time(pair.1, "since") }
        let data = try await AuditExport(context: context, options: store).export(format: format, since: since)
        let type = format == .cef ? "text/plain; charset=utf-8" : "application/x-ndjson"
        return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Requests, decisions, executions

    var views: GovernanceViews { GovernanceViews(context: context, options: store) }
    var promotions: Promotions { Promotions(context: context, options: store) }

    func request(_ id: String, prefixes: [String]) async throws -> Response {
        try Self.checkID(id, prefixes: prefixes)
        return EvidenceServer.json(try await views.request(id))
    }

    struct Approvals: Encodable {
        var schemaVersion = 1
        var request: String
        var required: Int?
        var approvals: [GovernanceViews.ChainEntry]
    }

    func approvals(_ id: String, prefixes: [String]) async throws -> Response {
        try Self.checkID(id, prefixes: prefixes)
        let view = try await views.request(id)
        return EvidenceServer.json(Approvals(request: id, required: view.readiness.required, approvals: view.chain.filter { $0.kind == EvidenceKind.promotionApproval.rawValue }))
    }

    func execution(_ id: String) async throws -> Response {
        try Self.checkID(id, prefixes: ["px-", "rx-"])
        return EvidenceServer.json(try await views.execution(id))
    }

    /// `POST /promotion-requests` (or `/rollback-requests`): a request its requester signed (`{"envelope": …}`),
    /// or fields for this server's signing key to sign for the caller.
    func createRequest(_ body: JSONValue, caller: APITokens.Caller, rollback: Bool) async throws -> Response {
        let created = try await createdRequest(body, caller: caller, rollback: rollback)
        return EvidenceServer.json(created, status: created.existing ? .ok : .created)
    }

    func createdRequest(_ body: JSONValue, caller: APITokens.Caller, rollback: Bool) async throws -> Promotions.Created {
        let fields = try Self.object(body)
        if let envelope = fields["envelope"] {
            try Self.only(fields, ["envelope"])
            return try await promotions.submitRequest(
                envelope: try Self.envelopeData(envelope), kinds: [rollback ? .rollbackRequest : .promotionRequest], caller: caller.name)
        }
        let key = try serviceKey()
        let created: Promotions.Created
        if rollback {
            try Self.only(fields, ["execution", "toVersion", "reason", "expires"])
            created = try await promotions.requestRollback(
                executionID: try Self.string(fields, "execution", id: true), toVersion: try Self.string(fields, "toVersion"),
                reason: try Self.string(fields, "reason"), evidence: [], key: key, expires: try Self.string(fields, "expires", default: "24h"),
                actor: caller.name)
        } else {
            try Self.only(fields, ["rollout", "targetRing", "expires"])
            created = try await promotions.request(
                rolloutID: try Self.string(fields, "rollout", id: true), ring: try Self.string(fields, "targetRing"), key: key,
                expires: try Self.string(fields, "expires", default: "24h"), actor: caller.name)
        }
        return created
    }

    /// `POST …/{id}/approvals`: a DSSE envelope its approver signed; never signed here.
    func submitDecision(_ id: String, _ body: JSONValue, caller: APITokens.Caller) async throws -> Response {
        let created = try await submittedDecision(id, body, caller: caller)
        return EvidenceServer.json(created, status: created.existing ? .ok : .created)
    }

    func submittedDecision(_ id: String, _ body: JSONValue, caller: APITokens.Caller) async throws -> Promotions.Created {
        try Self.checkID(id, prefixes: ["pr-", "rr-"])
        return try await promotions.submitDecision(requestID: id, envelope: try Self.envelopeData(body))
    }

    /// `POST …/{id}/executions`: carries out a ready request, signed by this server's key for the caller.
    func execute(_ id: String, _ body: JSONValue, caller: APITokens.Caller) async throws -> Response {
        let created = try await executed(id, body, caller: caller)
        return EvidenceServer.json(created, status: created.existing ? .ok : .created)
    }

    func executed(_ id: String, _ body: JSONValue, caller: APITokens.Caller) async throws -> Promotions.Created {
        try Self.checkID(id, prefixes: ["pr-", "rr-"])
        let fields = try Self.object(body)
        try Self.only(fields, ["status", "expectRing", "expectRelease"])
        let statusText = try Self.string(fields, "status", default: "succeeded")
        guard let status = PromotionExecution.Status(rawValue: statusText) else { throw HallmarkError.usage("status must be succeeded or failed") }
        return try await promotions.execute(
            requestID: id, key: try serviceKey(), status: status, expectRing: try Self.optionalString(fields, "expectRing"),
            expectRelease: try Self.optionalString(fields, "expectRelease"), actor: caller.name)
    }

    func serviceKey() throws -> String {
        guard let key = settings.signingKey else {
            throw HallmarkError.usage("this server holds no signing key (hallmark serve --signing-key); send a signed envelope instead")
        }
        return key
    }

    // MARK: Artifacts

    func artifacts(_ id: String) async throws -> Response {
        try Self.checkID(id)
        return EvidenceServer.json(try await gated(Self.files, "file reads") { try await views.artifacts(id, root: settings.artifactRoot) })
    }

    func artifact(_ id: String, name: String) async throws -> Response {
        try Self.checkID(id)
        guard RelativePath.nonCanonicalReason(name) == nil else { throw HallmarkError.usage("\(name.prefix(100)): not a file name of this record") }
        let data = try await gated(Self.files, "file reads") { try await views.artifact(id, name: name, root: settings.artifactRoot) }
        return Self.download(data, filename: (name as NSString).lastPathComponent, type: "application/octet-stream")
    }

    func bundle(_ id: String) async throws -> Response {
        try Self.checkID(id)
        let data = try await gated(Self.files, "file reads") { try await views.bundle(id, root: settings.artifactRoot) }
        return Self.download(data, filename: "\(id)-artifacts.zip", type: "application/zip")
    }

    static func download(_ data: Data, filename: String, type: String) -> Response {
        let safe = String(filename.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        return Response(
            status: .ok,
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(safe)\"", .init("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Bodies

    static func object(_ value: JSONValue) throws -> [String: JSONValue] {
        guard case .object(let fields) = value else { throw HallmarkError.invalidInput("the body must be a JSON object") }
        return fields
    }

    static func only(_ fields: [String: JSONValue], _ allowed: Set<String>) throws {
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw HallmarkError.invalidInput("unknown field \(unknown.prefix(40)); this body takes \(allowed.sorted().joined(separator: ", "))")
        }
    }

    static func string(_ fields: [String: JSONValue], _ name: String, default fallback: String? = nil, id: Bool = false) throws -> String {
        guard let value = fields[name] else {
            if let fallback { return fallback }
            throw HallmarkError.invalidInput("missing field \(name)")
        }
        guard case .string(let text) = value, !text.isEmpty, text.utf8.count <= 1024 else {
            throw HallmarkError.invalidInput("\(name) must be a non-empty string of at most 1024 bytes")
        }
        if id { try checkID(text) }
        return text
    }

    static func optionalString(_ fields: [String: JSONValue], _ name: String) throws -> String? {
        fields[name] == nil ? nil : try string(fields, name)
    }

    /// The envelope's bytes: only `payload`, `payloadType` and `signatures` (DSSE has no other fields).
    static func envelopeData(_ value: JSONValue) throws -> Data {
        let fields = try object(value)
        try only(fields, ["payload", "payloadType", "signatures"])
        return value.canonicalData
    }
}

/// Admits `width` holders at a time; the next ones wait their turn in order (so one caller repeating a request
/// cannot keep another out), and beyond `queue` waiting callers the rest are turned away.
actor TurnGate {
    private let width: Int
    private let queue: Int
    private var holders = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(width: Int = 1, queue: Int = 16) {
        self.width = width
        self.queue = queue
    }

    func enter() async -> Bool {
        if holders < width {
            holders += 1
            return true
        }
        guard waiters.count < queue else { return false }
        await withCheckedContinuation { waiters.append($0) }
        return true
    }

    func leave() {
        if waiters.isEmpty {
            holders -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
