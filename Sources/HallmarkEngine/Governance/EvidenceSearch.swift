import Foundation
import HallmarkCore
import HallmarkStore

/// `hallmark evidence search`: the search index's rows for combined filters, newest first.
public struct EvidenceSearch: Sendable {
    /// The filters (nil: any). Times are RFC 3339 or Unix seconds.
    public struct Filter: Sendable {
        public var kind: String?
        public var status: String?
        public var environment: String?
        public var deploymentTarget: String?
        public var ring: String?
        public var approvalState: String?
        public var executionStatus: String?
        public var version: String?
        public var changeRecord: String?
        public var since: String?
        public var until: String?
        public var before: Int64?
        public var limit: Int

        public init(
            kind: String? = nil, status: String? = nil, environment: String? = nil, deploymentTarget: String? = nil, ring: String? = nil,
            approvalState: String? = nil, executionStatus: String? = nil, version: String? = nil, changeRecord: String? = nil,
            since: String? = nil, until: String? = nil, before: Int64? = nil, limit: Int = 50
        ) {
            self.kind = kind
            self.status = status
            self.environment = environment
            self.deploymentTarget = deploymentTarget
            self.ring = ring
            self.approvalState = approvalState
            self.executionStatus = executionStatus
            self.version = version
            self.changeRecord = changeRecord
            self.since = since
            self.until = until
            self.before = before
            self.limit = limit
        }
    }

    /// One record, as the index describes it.
    public struct Hit: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        public var logIndex: Int64
        public var sha256: String
        public var time: String
        public var status: String?
        public var environment: String?
        public var ring: String?
        public var approvalState: String?
        public var executionStatus: String?
        public var version: String?
        public var changeRecord: String?
        public var subject: String?
        public var actor: String?
        public var targets: [String]

        /// The hit as JSON, built directly (what its Codable encoding gives, for the server's hottest answer).
        public var jsonValue: JSONValue {
            var fields: [String: JSONValue] = [
                "id": .string(id), "kind": .string(kind), "logIndex": .number(String(logIndex)), "sha256": .string(sha256),
                "time": .string(time), "targets": .array(targets.map(JSONValue.string)),
            ]
            let optional: [(String, String?)] = [
                ("status", status), ("environment", environment), ("ring", ring), ("approvalState", approvalState),
                ("executionStatus", executionStatus), ("version", version), ("changeRecord", changeRecord), ("subject", subject), ("actor", actor),
            ]
            for (name, value) in optional { if let value { fields[name] = .string(value) } }
            return .object(fields)
        }
    }

    public struct Result: Codable, Sendable {
        public var schemaVersion = 1
        public var store: String
        public var count: Int
        /// Pass as `--before` for the next page (nil on the last page).
        public var nextBefore: Int64?
        public var records: [Hit]
    }

    public var context: EngineContext
    public var options: EvidenceStoreOptions

    public init(context: EngineContext, options: EvidenceStoreOptions) {
        self.context = context
        self.options = options
    }

    public func search(_ filter: Filter) async throws(HallmarkError) -> Result {
        let query = try Self.query(filter)
        return try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            let rows = try await log.search(query)
            let hits = rows.map {
                Hit(
                    id: $0.recordID, kind: $0.kind, logIndex: $0.index, sha256: $0.digest, time: RFC3339.format(unixSeconds: min(max($0.createdAt, 0), 253_402_300_799)),
                    status: $0.status, environment: $0.environment, ring: $0.ring, approvalState: $0.approvalState,
                    executionStatus: $0.executionStatus, version: $0.version, changeRecord: $0.changeRecord, subject: $0.subject,
                    actor: $0.actor, targets: $0.targets)
            }
            return Result(store: log.location, count: hits.count, nextBefore: hits.count == query.limit ? hits.last?.logIndex : nil, records: hits)
        }
    }

    static func query(_ filter: Filter) throws(HallmarkError) -> EvidenceQuery {
        if let kind = filter.kind, EvidenceKind(rawValue: kind) == nil {
            throw .usage("--kind \(kind): use one of \(EvidenceKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...10_000).contains(filter.limit) else { throw .usage("--limit must be between 1 and 10000") }
        return EvidenceQuery(
            kind: filter.kind, status: filter.status, environment: filter.environment, deploymentTarget: filter.deploymentTarget,
            ring: filter.ring, approvalState: filter.approvalState, executionStatus: filter.executionStatus, version: filter.version,
            changeRecord: filter.changeRecord, since: try filter.since.map { (t) throws(HallmarkError) in try time(t, "--since") },
            until: try filter.until.map { (t) throws(HallmarkError) in try time(t, "--until") }, before: filter.before, limit: filter.limit)
    }

    /// RFC 3339 (`2026-11-29T10:00:00Z`), a date (`2026-11-29`), or Unix seconds.
    public static func time(_ text: String, _ option: String) throws(HallmarkError) -> Int64 {
        if let seconds = Int64(text) { return seconds }
        if let date = RFC3339.parse(text) ?? RFC3339.parse(text + "T00:00:00Z") { return Int64(date.timeIntervalSince1970) }
        throw .usage("\(option) \(text): give an RFC 3339 time (2026-11-29T10:00:00Z), a date (2026-11-29) or Unix seconds")
    }
}
