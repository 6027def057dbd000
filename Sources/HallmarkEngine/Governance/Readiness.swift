import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// Whether a request may be executed now: one verdict, computed here and nowhere else, from records read back
/// verified from the log — integrity, the rollout's status, the request's ring and expiry, N of M approvals, ring
/// order and the previous ring's soak time (for a rollback: that the execution it reverses is still the ring's
/// latest). Used by `hallmark readiness`, by `promote execute`, and by the server.
public struct Readiness: Sendable {
    public enum Verdict: String, Codable, Sendable {
        case ready, blocked, incomplete, unverified
    }

    /// One check and its outcome.
    public struct Reason: Codable, Sendable, Equatable {
        public var check: String
        public var ok: Bool
        public var code: String?
        public var message: String
    }

    public struct Report: Codable, Sendable {
        public var schemaVersion = 1
        public var rolloutId: String?
        public var targetRing: String?
        public var requestId: String?
        public var verdict: Verdict
        public var required: Int?
        public var approvedBy: [String]
        public var reasons: [Reason]
    }

    /// The verdict with the records it rests on (for an execution to link).
    struct Evaluation: Sendable {
        var report: Report
        var rollout: EvidenceRecord?
        var request: EvidenceRecord?
        var approvals: [EvidenceRecord] = []
        /// The request's decisions and execution, from its chain in the log, oldest first.
        var chain: [EvidenceRecord] = []
        var previous: EvidenceRecord?
        var reversed: EvidenceRecord?
    }

    let log: EvidenceLog
    let now: Date

    /// The verdict for the latest request to move `rolloutID` into `ring`.
    func evaluate(rolloutID: String, ring: String) async throws(HallmarkError) -> Evaluation {
        let rows = try await log.search(EvidenceQuery(kind: EvidenceKind.promotionRequest.rawValue, ring: ring, subject: rolloutID, limit: 1))
        guard let latest = rows.first else {
            var evaluation = Evaluation(report: Report(rolloutId: rolloutID, targetRing: ring, verdict: .incomplete, approvedBy: [], reasons: []))
            do throws(HallmarkError) {
                evaluation.rollout = try await log.record(rolloutID)
            } catch where error.code == .verificationFailed {
                return Self.unverified(evaluation, error)
            }
            evaluation.report.reasons.append(Reason(
                check: "request", ok: false, code: nil, message: "no promotion request for ring \(ring) yet; hallmark promote request \(rolloutID) --target-ring \(ring)"))
            return evaluation
        }
        var evaluation = try await evaluate(requestID: latest.recordID)
        if let request = evaluation.request?.request, request.rollout.id != rolloutID || request.targetRing != ring {
            evaluation = Self.unverified(evaluation, .verificationFailed(
                "the index names \(latest.recordID) as the request for \(rolloutID) → \(ring), but it is for \(request.rollout.id) → \(request.targetRing); run hallmark audit verify",
                problem: .evidenceIndexMismatch))
        }
        return evaluation
    }

    /// The verdict for request `requestID`.
    func evaluate(requestID: String) async throws(HallmarkError) -> Evaluation {
        var evaluation = Evaluation(report: Report(requestId: requestID, verdict: .ready, approvedBy: [], reasons: []))
        do throws(HallmarkError) {
            let request = try await log.record(requestID)
            guard let predicate = request.request else {
                throw HallmarkError.usage("\(requestID) is a \(request.kind.rawValue), not a promotion or rollback request")
            }
            evaluation.request = request
            evaluation.report.targetRing = predicate.targetRing
            evaluation.report.rolloutId = predicate.rollout.id
            let rollout = try await log.linked(predicate.rollout, kinds: [.rollout], from: requestID)
            evaluation.rollout = rollout
            pass(&evaluation, "integrity", "the request and its rollout verify, and the request links the rollout by digest")
            if let rollback = predicate.rollback {
                evaluation.reversed = try await log.linked(rollback.execution, kinds: [.promotionExecution], from: requestID)
            }
            evaluation.chain = try await log.chain(of: request)
            try await checkRequest(&evaluation, request: predicate, rollout: rollout)
        } catch where error.code == .verificationFailed {
            return Self.unverified(evaluation, error)
        }
        evaluation.report.verdict = Self.verdict(evaluation.report.reasons)
        return evaluation
    }

    static func unverified(_ evaluation: Evaluation, _ error: HallmarkError) -> Evaluation {
        var evaluation = evaluation
        evaluation.report.reasons.append(Reason(
            check: "integrity", ok: false, code: (error.problem ?? .evidenceSignatureInvalid).rawValue, message: error.message))
        evaluation.report.verdict = .unverified
        return evaluation
    }

    /// unverified beats blocked beats incomplete beats ready.
    static func verdict(_ reasons: [Reason]) -> Verdict {
        let failed = reasons.filter { !$0.ok }
        if failed.contains(where: { $0.check == "integrity" }) { return .unverified }
        if failed.contains(where: { $0.code != nil }) { return .blocked }
        return failed.isEmpty ? .ready : .incomplete
    }

    func pass(_ evaluation: inout Evaluation, _ check: String, _ message: String) {
        evaluation.report.reasons.append(Reason(check: check, ok: true, code: nil, message: message))
    }

    func block(_ evaluation: inout Evaluation, _ check: String, _ code: ProblemCode, _ message: String) {
        evaluation.report.reasons.append(Reason(check: check, ok: false, code: code.rawValue, message: message))
    }

    func checkRequest(_ evaluation: inout Evaluation, request: PromotionRequest, rollout: EvidenceRecord) async throws(HallmarkError) {
        guard let predicate = rollout.rollout else { return }
        if request.rollback == nil {
            if predicate.status == .failed {
                block(&evaluation, "status", .promotionStatus, "rollout \(rollout.id) is failed; only a staged or succeeded rollout is promoted")
            } else {
                pass(&evaluation, "status", "rollout \(rollout.id) is \(predicate.status.rawValue)")
            }
        }
        if !predicate.rings.contains(request.targetRing) {
            block(&evaluation, "ring-order", .promotionRingOrder, "ring \(request.targetRing) is not one of the deployment's rings")
        }
        if request.release.indexSha256 != predicate.release.indexSha256 {
            block(&evaluation, "integrity-release", .promotionLinkInvalid, "the request names release \(request.release.indexSha256.prefix(12))…, the rollout \(predicate.release.indexSha256.prefix(12))…")
        }
        let expires = RFC3339.parse(request.expiresAt) ?? .distantPast
        if now >= expires {
            block(&evaluation, "expiry", .promotionExpired, "request \(evaluation.request?.id ?? "") expired at \(request.expiresAt)")
        } else {
            pass(&evaluation, "expiry", "valid until \(request.expiresAt)")
        }
        try await checkApprovals(&evaluation, request: request, rollout: predicate, expires: expires)
        try await checkExecuted(&evaluation)
        if let reversed = evaluation.reversed {
            try await checkRollback(&evaluation, reversed: reversed, rollout: predicate)
        } else {
            try await checkRingOrder(&evaluation, ring: request.targetRing, rollout: predicate)
        }
    }

    /// N of M: approvals of this exact request (its digest), before it expired, by distinct approver keys other
    /// than the requester's. A rejection by an approver blocks.
    func checkApprovals(_ evaluation: inout Evaluation, request: PromotionRequest, rollout: RolloutEvidence, expires: Date) async throws(HallmarkError) {
        guard let control = rollout.controls.approvals, let requestRecord = evaluation.request else {
            block(&evaluation, "approvals", .promotionApprovals, "the deployment names no approvers (controls.approvals), so nothing can be approved")
            return
        }
        evaluation.report.required = control.required
        var approvedBy: [String] = []
        var rejectedBy: [String] = []
        for record in evaluation.chain {
            guard let approval = record.approval, approval.request == requestRecord.link else { continue }
            let key = approval.signer.keyId
            guard control.approvers.contains(key), key != request.signer.keyId,
                let decided = RFC3339.parse(approval.createdAt), decided < expires, !approvedBy.contains(key), !rejectedBy.contains(key)
            else { continue }
            if approval.decision == .approve {
                approvedBy.append(key)
                evaluation.approvals.append(record)
            } else {
                rejectedBy.append(key)
            }
        }
        evaluation.report.approvedBy = approvedBy
        if !rejectedBy.isEmpty {
            block(&evaluation, "approvals", .promotionApprovals, "rejected by approver key \(rejectedBy.map { String($0.prefix(16)) }.joined(separator: ", "))")
        } else if approvedBy.count < control.required {
            evaluation.report.reasons.append(Reason(
                check: "approvals", ok: false, code: nil,
                message: "\(approvedBy.count) of \(control.required) required approvals (from \(control.approvers.count) approvers)"))
        } else {
            pass(&evaluation, "approvals", "\(approvedBy.count) of \(control.required) required approvals")
        }
    }

    func checkExecuted(_ evaluation: inout Evaluation) async throws(HallmarkError) {
        guard let request = evaluation.request else { return }
        if let done = evaluation.chain.first(where: { $0.execution != nil }) {
            block(&evaluation, "execution", .promotionReplay, "request \(request.id) was already executed as \(done.id)")
        }
    }

    /// The latest execution on `ring` of this deployment (promotion or rollback), from the ring's state head.
    func latestExecution(deployment: String, ring: String) async throws(HallmarkError) -> EvidenceRecord? {
        guard let head = try await log.head(IndexReplay.ringKey(deployment: deployment, ring: ring)) else { return nil }
        guard let entry = try await log.store.entries(from: head.index, count: 1).first, entry.index == head.index else {
            throw .verificationFailed("ring \(ring): its state head points at leaf \(head.index), which the log does not have", problem: .evidenceIndexMismatch)
        }
        let record = try await log.verified(entry)
        guard record.digest == head.digest, let execution = record.execution, execution.targetRing == ring else {
            throw .verificationFailed("ring \(ring): its state head does not name an execution into ring \(ring) (leaf \(head.index)); run hallmark audit verify", problem: .evidenceIndexMismatch)
        }
        let rollout = try await log.linked(execution.rollout, kinds: [.rollout], from: record.id)
        guard rollout.rollout?.deploymentId == deployment else {
            throw .verificationFailed("ring \(ring): its state head names \(record.id), an execution of another deployment; run hallmark audit verify", problem: .evidenceIndexMismatch)
        }
        return record
    }

    /// Ring order and soak: the previous ring's latest execution is a successful promotion of this release, at
    /// least its soak time ago.
    func checkRingOrder(_ evaluation: inout Evaluation, ring: String, rollout: RolloutEvidence) async throws(HallmarkError) {
        guard let position = rollout.rings.firstIndex(of: ring) else { return }
        guard position > 0 else {
            pass(&evaluation, "ring-order", "\(ring) is the first ring")
            return
        }
        let previousRing = rollout.rings[position - 1]
        guard let previous = try await latestExecution(deployment: rollout.deploymentId, ring: previousRing),
            let execution = previous.execution, previous.kind == .promotionExecution, execution.status == .succeeded,
            execution.release.indexSha256 == rollout.release.indexSha256
        else {
            block(&evaluation, "ring-order", .promotionRingOrder, "ring \(previousRing) comes before \(ring) and has no successful execution of \(rollout.release.version)")
            return
        }
        evaluation.previous = previous
        pass(&evaluation, "ring-order", "\(previousRing) runs \(rollout.release.version) (\(previous.id))")
        let soak = rollout.controls.soakSeconds[previousRing] ?? 0
        let elapsed = Int64(now.timeIntervalSince1970) - previous.unixTime
        if elapsed < soak {
            block(&evaluation, "soak", .promotionSoak, "\(previousRing) must soak \(soak) s; \(max(0, elapsed)) s have passed (\(soak - max(0, elapsed)) s to go)")
        } else {
            pass(&evaluation, "soak", "\(previousRing) soaked \(elapsed) s of \(soak) s")
        }
    }

    /// A rollback reverses the ring's latest execution, which succeeded.
    func checkRollback(_ evaluation: inout Evaluation, reversed: EvidenceRecord, rollout: RolloutEvidence) async throws(HallmarkError) {
        guard let execution = reversed.execution else { return }
        let latest = try await latestExecution(deployment: rollout.deploymentId, ring: execution.targetRing)
        if latest?.digest != reversed.digest {
            block(&evaluation, "ring-order", .promotionReplay, "\(reversed.id) is no longer ring \(execution.targetRing)'s latest execution (already rolled back or superseded)")
        } else {
            pass(&evaluation, "ring-order", "\(reversed.id) is ring \(execution.targetRing)'s latest execution")
        }
        if let version = evaluation.request?.request?.rollback?.toVersion {
            do {
                try await Promotions.checkEarlier(version, before: reversed, ring: execution.targetRing, log: log)
                pass(&evaluation, "rollback-target", "\(version) ran on ring \(execution.targetRing) before \(reversed.id)")
            } catch where error.code == .usage {
                block(&evaluation, "rollback-target", .promotionLinkInvalid, "\(version) never succeeded on ring \(execution.targetRing) before \(reversed.id)")
            }
        }
    }
}
