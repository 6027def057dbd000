import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// `hallmark audit export`: every record as an event — actor, action, target, time and record digest — for a
/// SIEM (JSON lines, ArcSight CEF, OCSF API Activity) or an ITSM (ServiceNow `change_request` fields).
public struct AuditExport: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case jsonl, cef, ocsf, servicenow
    }

    /// One event, the common shape every format is made from.
    public struct Event: Codable, Sendable, Equatable {
        public var recordId: String
        public var kind: String
        public var logIndex: Int64
        public var recordSha256: String
        public var time: String
        public var actor: String
        public var action: String
        public var target: String
        public var changeRecord: String?
        public var ring: String?
        public var version: String?
        public var status: String?
    }

    public var context: EngineContext
    public var options: EvidenceStoreOptions

    public init(context: EngineContext, options: EvidenceStoreOptions) {
        self.context = context
        self.options = options
    }

    /// The export's bytes: records from the log in log order, each checked, at or after `since` (Unix seconds).
    public func export(format: Format, since: Int64?) async throws(HallmarkError) -> Data {
        let events = try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            // Every record checked, and the tree they make checked against the checkpoint the log key signed.
            var events: [Event] = []
            var builder = MerkleTree.Builder()
            let size = try await log.store.logSize()
            let signed = try await log.signedHead(covering: max(0, size - 1))
            while builder.size < signed.size {
                let entries = try await log.store.entries(from: builder.size, count: 2_000)
                guard !entries.isEmpty else { break }
                for entry in entries {
                    guard entry.index == builder.size else { break }
                    builder.append(leafHash: MerkleTree.leafHash(entry.body))
                    let record = try EvidenceRecord.verify(body: entry.body, expectedID: entry.recordID, index: entry.index, source: entry.recordID)
                    if let since, record.unixTime < since { continue }
                    events.append(Self.event(record, index: entry.index))
                }
            }
            guard builder.size == signed.size, builder.root == signed.root else {
                throw .verificationFailed("\(log.location): the records are not the log the key signed at size \(signed.size); run hallmark audit verify", problem: .evidenceRecordChanged)
            }
            return events
        }
        var out = Data()
        for event in events {
            let line: String
            switch format {
            case .jsonl: line = try Self.json(event)
            case .cef: line = Self.cef(event)
            case .ocsf: line = try Self.json(Self.ocsf(event))
            case .servicenow: line = try Self.json(Self.serviceNow(event))
            }
            out.append(Data((line + "\n").utf8))
        }
        return out
    }

    static func json(_ value: some Encodable) throws(HallmarkError) -> String {
        do { return String(decoding: try CanonicalJSON.canonicalData(value), as: UTF8.self) } catch { throw .io("cannot encode an event: \(error)") }
    }

    static func event(_ record: EvidenceRecord, index: Int64) -> Event {
        var event = Event(
            recordId: record.id, kind: record.kind.rawValue, logIndex: index, recordSha256: record.digest, time: record.predicate.time,
            actor: record.signerKeyID, action: "", target: "")
        switch record.predicate {
        case .rollout(let p):
            (event.action, event.target, event.changeRecord, event.version, event.status) =
                ("rollout.capture", p.deploymentId, p.changeRecord, p.release.version, p.status.rawValue)
        case .request(let p):
            (event.action, event.target, event.changeRecord, event.ring, event.version, event.status) = (
                p.rollback == nil ? "promotion.request" : "rollback.request", p.rollback?.execution.id ?? p.rollout.id, p.changeRecord,
                p.targetRing, p.rollback?.toVersion ?? p.release.version, "pending"
            )
        case .approval(let p):
            (event.action, event.target, event.status) = (
                p.decision == .approve ? "promotion.approve" : "promotion.reject", p.request.id, p.decision == .approve ? "approved" : "rejected"
            )
        case .execution(let p):
            (event.action, event.target, event.changeRecord, event.ring, event.version, event.status) = (
                p.reverses == nil ? "promotion.execute" : "rollback.execute", p.request.id, p.changeRecord, p.targetRing,
                p.toVersion ?? p.release.version, p.status.rawValue
            )
        }
        return event
    }

    // MARK: CEF

    /// An ArcSight CEF line: header fields escape `\` and `|`; extension values escape `\`, `=` and line breaks.
    static func cef(_ event: Event) -> String {
        func header(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
                .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        }
        func value(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "=", with: "\\=")
                .replacingOccurrences(of: "\r\n", with: "\\n").replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
        }
        let millis = (RFC3339.parse(event.time)?.timeIntervalSince1970 ?? 0) * 1_000
        var extensions: [(String, String)] = [
            ("rt", String(Int64(millis))), ("suser", event.actor), ("act", event.action), ("duid", event.target),
            ("externalId", event.recordId), ("cs1Label", "recordSha256"), ("cs1", event.recordSha256),
            ("cn1Label", "logIndex"), ("cn1", String(event.logIndex)),
        ]
        if let change = event.changeRecord { extensions += [("cs2Label", "changeRecord"), ("cs2", change)] }
        if let ring = event.ring { extensions += [("cs3Label", "ring"), ("cs3", ring)] }
        if let version = event.version { extensions += [("cs4Label", "version"), ("cs4", version)] }
        if let status = event.status { extensions += [("outcome", status)] }
        let head = ["CEF:0", "Hallmark", "hallmark", header(VersionInfo.releaseVersion), header(event.action), header("\(event.kind) \(event.recordId)"), "3"]
        return head.joined(separator: "|") + "|" + extensions.map { "\($0.0)=\(value($0.1))" }.joined(separator: " ")
    }

    // MARK: OCSF

    /// OCSF 1.1 API Activity (class 6003): create for new records, update for decisions and executions.
    static func ocsf(_ event: Event) -> JSONValue {
        let activity: Int = event.kind == EvidenceKind.rollout.rawValue || event.kind.hasSuffix("request") ? 1 : 3
        let millis = Int64((RFC3339.parse(event.time)?.timeIntervalSince1970 ?? 0) * 1_000)
        var unmapped: [String: JSONValue] = ["record_sha256": .string(event.recordSha256), "log_index": .number(String(event.logIndex))]
        if let change = event.changeRecord { unmapped["change_record"] = .string(change) }
        if let ring = event.ring { unmapped["ring"] = .string(ring) }
        if let version = event.version { unmapped["version"] = .string(version) }
        return .object([
            "activity_id": .number(String(activity)), "activity_name": .string(activity == 1 ? "Create" : "Update"),
            "category_uid": .number("6"), "category_name": .string("Application Activity"),
            "class_uid": .number("6003"), "class_name": .string("API Activity"), "type_uid": .number(String(600_300 + activity)),
            "severity_id": .number("1"), "severity": .string("Informational"), "status_id": .number("1"), "status": .string("Success"),
            "time": .number(String(millis)),
            "actor": .object(["user": .object(["uid": .string(event.actor), "type": .string("Key")])]),
            "api": .object(["operation": .string(event.action), "service": .object(["name": .string("hallmark")])]),
            "src_endpoint": .object(["name": .string("hallmark")]),
            "resources": .array([.object(["uid": .string(event.target), "type": .string(event.kind)])]),
            "metadata": .object([
                "version": .string("1.1.0"), "uid": .string(event.recordId),
                "product": .object(["name": .string("Hallmark"), "vendor_name": .string("Hallmark"), "version": .string(VersionInfo.releaseVersion)]),
            ]),
            "unmapped": .object(unmapped),
        ])
    }

    // MARK: ServiceNow

    /// Fields for a ServiceNow `change_request` update (Table API names), one per event, keyed by the change number.
    static func serviceNow(_ event: Event) -> JSONValue {
        let date = RFC3339.parse(event.time).map { RFC3339.format(unixSeconds: Int64($0.timeIntervalSince1970)) } ?? event.time
        let when = date.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
        var fields: [String: JSONValue] = [
            "number": .string(event.changeRecord ?? ""), "correlation_id": .string(event.recordId),
            "correlation_display": .string("Hallmark"),
            "work_notes": .string("[\(when) UTC] \(event.action) \(event.target) by key \(event.actor.prefix(16)) (record \(event.recordId), sha256 \(event.recordSha256))"),
            "u_hallmark_record_sha256": .string(event.recordSha256), "u_hallmark_action": .string(event.action),
            "sys_updated_on": .string(when),
        ]
        switch event.action {
        case "promotion.approve": fields["approval"] = .string("approved")
        case "promotion.reject": fields["approval"] = .string("rejected")
        case "promotion.request", "rollback.request":
            fields["approval"] = .string("requested")
            fields["short_description"] = .string("\(event.action == "rollback.request" ? "Roll back to" : "Promote") \(event.version ?? "") in ring \(event.ring ?? "")")
        case "promotion.execute", "rollback.execute":
            fields["state"] = .string(event.status == "succeeded" ? "implement" : "review")
            fields["work_start"] = .string(when)
        default: fields["short_description"] = .string("Rollout \(event.target) \(event.version ?? "")")
        }
        return .object(fields)
    }
}
