import Foundation
import HallmarkCore
import HallmarkStore

/// The search index and state heads, derived from records in log order. The same replay serves an append (fed
/// the records the new one depends on, then the new one) and `store rebuild` (fed the whole log), so the two can
/// never disagree.
struct IndexReplay {
    private(set) var rows: [String: IndexRow] = [:]
    private(set) var heads: [String: StateHead] = [:]
    private var rollouts: [String: RolloutEvidence] = [:]
    private var requests: [String: PromotionRequest] = [:]
    private var requestSigners: [String: String] = [:]
    private var approvals: [String: [(key: String, decision: PromotionApproval.Decision)]] = [:]
    /// What the rules forbid and the log shows anyway (for `audit verify`): two records following the same one in
    /// a request's chain, a second execution of a request, an execution without its approvals.
    private(set) var violations: [VerificationProblem] = []
    private var followers: [String: String] = [:]
    private var executed: Set<String> = []
    /// Each ring's latest execution so far (by deployment), to re-apply ring order, soak and rollback rules.
    private var ringLatest: [String: (id: String, kind: EvidenceKind, execution: PromotionExecution, time: Int64)] = [:]

    /// The head key of a request's chain (the request, its approvals, its execution).
    static func requestKey(_ id: String) -> String { "request:\(id)" }
    /// The head key of a ring's executions in one deployment.
    static func ringKey(deployment: String, ring: String) -> String { "ring:\(deployment):\(ring)" }
    static func rolloutKey(_ id: String) -> String { "rollout:\(id)" }
    static func nonceKey(_ nonce: String) -> String { "nonce:\(nonce)" }

    /// Adds `record` (at log index `index`); returns the rows it creates or changes, and the heads it moves.
    @discardableResult
    mutating func add(_ record: EvidenceRecord, index: Int64) -> (rows: [IndexRow], heads: [StateHead]) {
        let head = { (key: String) in StateHead(key: key, digest: record.digest, index: index) }
        var changed: [IndexRow] = []
        var moved: [StateHead] = []
        var row = IndexRow(
            index: index, recordID: record.id, kind: record.kind.rawValue, digest: record.digest, createdAt: record.unixTime,
            actor: record.signerKeyID)
        checkRules(record)
        switch record.predicate {
        case .rollout(let rollout):
            rollouts[record.id] = rollout
            row.status = rollout.status.rawValue
            Self.describe(&row, rollout: rollout, ring: nil)
            moved.append(head(Self.rolloutKey(record.id)))
        case .request(let request):
            requests[record.id] = request
            requestSigners[record.id] = request.signer.keyId
            row.status = "pending"
            row.approvalState = "pending"
            row.subject = request.rollback?.execution.id ?? request.rollout.id
            row.changeRecord = request.changeRecord
            describe(&row, rolloutID: request.rollout.id, ring: request.targetRing)
            if request.rollback != nil { row.version = request.rollback?.toVersion }
            moved += [head(Self.requestKey(record.id)), head(Self.nonceKey(request.nonce))]
        case .approval(let approval):
            row.status = approval.decision == .approve ? "approved" : "rejected"
            row.approvalState = row.status
            row.subject = approval.request.id
            if let request = requests[approval.request.id] {
                describe(&row, rolloutID: request.rollout.id, ring: request.targetRing)
                row.changeRecord = request.changeRecord
                approvals[approval.request.id, default: []].append((approval.signer.keyId, approval.decision))
                if var requestRow = rows[approval.request.id] {
                    requestRow.approvalState = approvalState(approval.request.id)
                    requestRow.status = requestRow.executionStatus == nil ? requestRow.approvalState : requestRow.status
                    rows[requestRow.recordID] = requestRow
                    changed.append(requestRow)
                }
            }
            moved.append(head(Self.requestKey(approval.request.id)))
        case .execution(let execution):
            row.status = execution.status.rawValue
            row.executionStatus = execution.status.rawValue
            row.subject = execution.request.id
            row.changeRecord = execution.changeRecord
            describe(&row, rolloutID: execution.rollout.id, ring: execution.targetRing)
            row.version = execution.toVersion ?? execution.release.version
            row.targets = execution.targets
            if var requestRow = rows[execution.request.id] {
                requestRow.executionStatus = execution.status.rawValue
                requestRow.status = "executed"
                rows[requestRow.recordID] = requestRow
                changed.append(requestRow)
            }
            moved.append(head(Self.requestKey(execution.request.id)))
            if let rollout = rollouts[execution.rollout.id] {
                moved.append(head(Self.ringKey(deployment: rollout.deploymentId, ring: execution.targetRing)))
            }
        }
        rows[record.id] = row
        for state in moved { heads[state.key] = state }
        return ([row] + changed, moved)
    }

    mutating func checkRules(_ record: EvidenceRecord) {
        if let after = record.approval?.after ?? record.execution?.after {
            if let other = followers[after.sha256] {
                violations.append(VerificationProblem(
                    .evidenceChainForked, "\(record.id) and \(other) both follow \(after.id): a record was hidden from the writer of one of them", file: record.id))
            }
            followers[after.sha256] = record.id
        }
        guard let execution = record.execution else { return }
        if !executed.insert(execution.request.id).inserted {
            violations.append(VerificationProblem(.promotionReplay, "\(record.id) executes \(execution.request.id) a second time", file: record.id))
        }
        if requests[execution.request.id] != nil, approvalState(execution.request.id) != "approved" {
            violations.append(VerificationProblem(
                .evidenceChainForked, "\(record.id) executed \(execution.request.id) without the approvals the log shows (\(approvalState(execution.request.id)))", file: record.id))
        }
        if let rollout = rollouts[execution.rollout.id] { checkRing(record, execution, rollout: rollout) }
    }

    /// Ring order and soak for a promotion, "reverses the ring's latest" for a rollback, as the log stood then.
    mutating func checkRing(_ record: EvidenceRecord, _ execution: PromotionExecution, rollout: RolloutEvidence) {
        let key = Self.ringKey(deployment: rollout.deploymentId, ring: execution.targetRing)
        if let reverses = execution.reverses {
            if ringLatest[key]?.id != reverses.id {
                violations.append(VerificationProblem(.promotionReplay, "\(record.id) reverses \(reverses.id), which was not ring \(execution.targetRing)'s latest execution then", file: record.id))
            }
        } else if let position = rollout.rings.firstIndex(of: execution.targetRing), position > 0 {
            let previousRing = rollout.rings[position - 1]
            let previous = ringLatest[Self.ringKey(deployment: rollout.deploymentId, ring: previousRing)]
            if let previous, previous.kind == .promotionExecution, previous.execution.status == .succeeded,
                previous.execution.release.indexSha256 == execution.release.indexSha256
            {
                if record.unixTime - previous.time < rollout.controls.soakSeconds[previousRing] ?? 0 {
                    violations.append(VerificationProblem(.promotionSoak, "\(record.id) entered \(execution.targetRing) before \(previousRing) soaked", file: record.id))
                }
            } else {
                violations.append(VerificationProblem(.promotionRingOrder, "\(record.id) entered \(execution.targetRing) while \(previousRing) did not run this release", file: record.id))
            }
        }
        ringLatest[key] = (record.id, record.kind, execution, record.unixTime)
    }

    /// Environment, version, change record and the ring's targets, from the rollout.
    static func describe(_ row: inout IndexRow, rollout: RolloutEvidence, ring: String?) {
        row.environment = rollout.environment
        row.version = rollout.release.version
        row.changeRecord = row.changeRecord ?? rollout.changeRecord
        row.ring = ring
        row.targets = rollout.targets.filter { ring == nil || $0.ring == ring }.map(\.id)
    }

    private func describe(_ row: inout IndexRow, rolloutID: String, ring: String) {
        row.ring = ring
        if let rollout = rollouts[rolloutID] { Self.describe(&row, rollout: rollout, ring: ring) }
    }

    /// approved (N distinct approver keys, none the requester's), rejected (any approver rejected), else pending.
    func approvalState(_ requestID: String) -> String {
        guard let request = requests[requestID], let rollout = rollouts[request.rollout.id], let control = rollout.controls.approvals else {
            return "pending"
        }
        let valid = (approvals[requestID] ?? []).filter { control.approvers.contains($0.key) && $0.key != requestSigners[requestID] }
        if valid.contains(where: { $0.decision == .reject }) { return "rejected" }
        return Set(valid.filter { $0.decision == .approve }.map(\.key)).count >= control.required ? "approved" : "pending"
    }
}
