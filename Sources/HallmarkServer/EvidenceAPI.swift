import Foundation
import HallmarkCore
import HallmarkEngine
import Hummingbird

/// The handlers: each reads its parameters, calls one engine operation, and renders JSON.
struct EvidenceAPI: Sendable {
    var context: EngineContext
    var store: EvidenceStoreOptions

    static let filters = [
        "kind", "status", "environment", "deployment_target", "ring", "approval_state", "execution_status", "version",
        "change_record", "since", "until", "cursor", "limit",
    ]

    func search(_ query: [(String, String)]) async throws -> Response {
        func value(_ name: String) -> String? { query.first { $0.0 == name }?.1 }
        for (name, _) in query where !Self.filters.contains(name) {
            throw HallmarkError.usage("unknown query parameter \(name); use \(Self.filters.joined(separator: ", "))")
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
            kind: value("kind"), status: value("status"), environment: value("environment"), deploymentTarget: value("deployment_target"),
            ring: value("ring"), approvalState: value("approval_state"), executionStatus: value("execution_status"),
            version: value("version"), changeRecord: value("change_record"), since: value("since"), until: value("until"),
            before: before, limit: limit)
        let result = try await EvidenceSearch(context: context, options: store).search(filter)
        return EvidenceServer.json(Page(records: result.records, nextCursor: result.nextBefore))
    }

    struct Page: Encodable {
        var schemaVersion = 1
        var records: [EvidenceSearch.Hit]
        var nextCursor: Int64?
    }

    func record(_ id: String) async throws -> Response {
        try Self.checkID(id)
        return EvidenceServer.json(try await EvidenceLookup(context: context, options: store).show(id))
    }

    func proof(_ id: String) async throws -> Response {
        try Self.checkID(id)
        return EvidenceServer.json(try await EvidenceLookup(context: context, options: store).proof(id))
    }

    static func checkID(_ id: String) throws {
        guard !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy({ $0 == 0x2D || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw HallmarkError.usage("\(id.prefix(64)): not a record id (ro-…, pr-…, pa-…, px-…, rr-…, rx-…)")
        }
    }

    func checkpoint() async throws -> Response {
        EvidenceServer.json(try await EvidenceLookup(context: context, options: store).checkpoint())
    }

    func ready() async throws -> Response {
        let size = try await EvidenceLookup(context: context, options: store).ready()
        return EvidenceServer.json(["status": "ready", "treeSize": String(size)])
    }

    func auditExport(_ query: [(String, String)]) async throws -> Response {
        let name = query.first { $0.0 == "format" }?.1 ?? "jsonl"
        guard let format = AuditExport.Format(rawValue: name) else { throw HallmarkError.usage("format must be jsonl, cef, ocsf or servicenow") }
        let since = try query.first { $0.0 == "since" }.map { (pair) throws(HallmarkError) in try EvidenceSearch.time(pair.1, "since") }
        let data = try await AuditExport(context: context, options: store).export(format: format, since: since)
        let type = format == .cef ? "text/plain; charset=utf-8" : "application/x-ndjson"
        return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
