import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

extension Promotions {
    // MARK: Approvals

    /// `promote approve|reject`: an approver's signed decision on one exact request.
    public func decide(
        requestID: String, decision: PromotionApproval.Decision, key: String?, comment: String?
    ) async throws(HallmarkError) -> Created {
        let signingKey = try KeyResolver(context: context).signingKey(key)
        return try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            for _ in 0..<Self.retries {
                let head = try await log.head(IndexReplay.requestKey(requestID))
                let (request, rollout, approvals) = try await decidable(requestID, keyID: signingKey.publicKey.keyID, log: log)
                let predicate = PromotionApproval(
                    request: request.link, after: approvals.last?.link ?? request.link, decision: decision, comment: comment, createdAt: nowText,
                    signer: SignedRecord.signer(signingKey))
                let record = try SignedRecord.sign(
                    kind: .promotionApproval, subjects: [ResourceDescriptor(name: request.id, digest: ["sha256": request.digest])],
                    predicate: .approval(predicate), key: signingKey)
                let (row, updates) = try rows(for: record, after: [rollout, request] + approvals)
                let guards = [StateGuard(key: IndexReplay.requestKey(requestID), expected: head?.digest, next: record.digest)]
                switch try await log.append(record, row: row, updates: updates, guards: guards) {
                case .appended(let index, _):
                    return Created(
                        id: record.id, kind: record.kind.rawValue, status: decision == .approve ? "approved" : "rejected",
                        links: ["request": [request.id], "rollout": [rollout.id]], logIndex: index, existing: false)
                case .conflict: continue
                case .duplicate:
                    throw .verificationFailed("\(requestID): this decision is already recorded", problem: .promotionDuplicateApproval)
                }
            }
            throw .store("\(log.location): \(requestID) kept changing under \(Self.retries) attempts to record the decision; try again")
        }
    }

    /// The request, its rollout and its approvals so far, when `key` may decide on it now.
    func decidable(_ requestID: String, keyID: String, log: EvidenceLog) async throws(HallmarkError) -> (EvidenceRecord, EvidenceRecord, [EvidenceRecord]) {
        let request = try await log.record(requestID)
        guard let predicate = request.request else { throw .usage("\(requestID) is a \(request.kind.rawValue), not a request") }
        let rollout = try await log.linked(predicate.rollout, kinds: [.rollout], from: requestID)
        guard let control = rollout.rollout?.controls.approvals, control.approvers.contains(keyID) else {
            throw .verificationFailed("\(requestID): key \(keyID.prefix(16))… is not one of the deployment's approvers", problem: .promotionApproverInvalid)
        }
        guard keyID != predicate.signer.keyId else {
            throw .verificationFailed("\(requestID): the requester's key cannot approve its own request", problem: .promotionApproverInvalid)
        }
        guard let expires = RFC3339.parse(predicate.expiresAt), now < expires else {
            throw .verificationFailed("\(requestID): the request expired at \(predicate.expiresAt); make a new one", problem: .promotionExpired)
        }
        let chain = try await log.chain(of: request)
        if let done = chain.first(where: { $0.execution != nil }) {
            throw .verificationFailed("\(requestID): already executed as \(done.id)", problem: .promotionReplay)
        }
        if let earlier = chain.first(where: { $0.signerKeyID == keyID }) {
            throw .verificationFailed("\(requestID): key \(keyID.prefix(16))… already decided (\(earlier.id))", problem: .promotionDuplicateApproval)
        }
        return (request, rollout, chain)
    }

    // MARK: Execution

    /// `promote execute`: carries out a request that is ready (verified offline from the log: approvals, ring
    /// order, soak). Executing the same request again returns the first execution.
    public func execute(
        requestID: String, key: String?, status: PromotionExecution.Status, expectRing: String?, expectRelease: String?, actor: String? = nil
    ) async throws(HallmarkError) -> Created {
        let signingKey = try KeyResolver(context: context).signingKey(key)
        return try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            for _ in 0..<Self.retries {
                let head = try await log.head(IndexReplay.requestKey(requestID))
                if let done = try await existingExecution(requestID, log: log) { return done }
                let evaluation = try await Readiness(log: log, now: now).evaluate(requestID: requestID)
                // Executed by another writer since the check above: that execution is the answer.
                if evaluation.report.verdict != .ready, let done = try await existingExecution(requestID, log: log) { return done }
                let (record, dependencies, ringKey) = try executionRecord(
                    evaluation, key: signingKey, status: status, expectRing: expectRing, expectRelease: expectRelease, actor: actor)
                let ringHead = try await log.head(ringKey)
                let (row, updates) = try rows(for: record, after: dependencies)
                let guards = [
                    StateGuard(key: IndexReplay.requestKey(requestID), expected: head?.digest, next: record.digest),
                    StateGuard(key: ringKey, expected: ringHead?.digest, next: record.digest),
                ]
                switch try await log.append(record, row: row, updates: updates, guards: guards) {
                case .appended(let index, _):
                    return Created(id: record.id, kind: record.kind.rawValue, status: status.rawValue, links: Self.links(record), logIndex: index, existing: false)
                case .conflict, .duplicate: continue
                }
            }
            throw .store("\(log.location): \(requestID) kept changing under \(Self.retries) attempts to execute it; try again")
        }
    }

    /// The request's execution, when its chain (read from the log) has one.
    func existingExecution(_ requestID: String, log: EvidenceLog) async throws(HallmarkError) -> Created? {
        let request = try await log.record(requestID)
        guard request.request != nil, let record = try await log.chain(of: request).first(where: { $0.execution != nil }) else { return nil }
        let signed = SignedRecord(kind: record.kind, body: record.body, digest: record.digest, id: record.id, predicate: record.predicate)
        return Created(
            id: record.id, kind: record.kind.rawValue, status: record.execution?.status.rawValue ?? "", links: Self.links(signed),
            logIndex: record.index ?? -1, existing: true)
    }

    /// The execution record for a ready evaluation, the records it depends on, and its ring's head key.
    func executionRecord(
        _ evaluation: Readiness.Evaluation, key: PrivateKey, status: PromotionExecution.Status, expectRing: String?, expectRelease: String?,
        actor: String? = nil
    ) throws(HallmarkError) -> (SignedRecord, [EvidenceRecord], String) {
        guard evaluation.report.verdict == .ready, let requestRecord = evaluation.request, let request = requestRecord.request,
            let rolloutRecord = evaluation.rollout, let rollout = rolloutRecord.rollout
        else {
            let failing = evaluation.report.reasons.filter { !$0.ok }
            let code = failing.compactMap(\.code).first.map(ProblemCode.init(rawValue:)) ?? .promotionApprovals
            throw .verificationFailed(
                "\(evaluation.report.requestId ?? "request") is \(evaluation.report.verdict.rawValue): \(failing.map(\.message).joined(separator: "; "))",
                problem: code)
        }
        if let expectRing, expectRing != request.targetRing {
            throw .verificationFailed("\(requestRecord.id) moves ring \(request.targetRing), not \(expectRing)", problem: .promotionLinkInvalid)
        }
        if let expectRelease, expectRelease.lowercased() != request.release.indexSha256 {
            throw .verificationFailed("\(requestRecord.id) is for release \(request.release.indexSha256.prefix(12))…, not \(expectRelease.prefix(12))…", problem: .promotionLinkInvalid)
        }
        let predicate = PromotionExecution(
            request: requestRecord.link, after: evaluation.chain.last?.link ?? requestRecord.link, approvals: evaluation.approvals.map(\.link).sorted { $0.id < $1.id }, rollout: rolloutRecord.link,
            changeRecord: request.changeRecord, targetRing: request.targetRing, release: request.release,
            targets: rollout.targets.filter { $0.ring == request.targetRing }.map(\.id), status: status,
            reverses: request.rollback?.execution, toVersion: request.rollback?.toVersion, previous: evaluation.previous?.link,
            executedAt: nowText, actor: actor, signer: SignedRecord.signer(key))
        let kind: EvidenceKind = request.rollback == nil ? .promotionExecution : .rollbackExecution
        let subjects = [ResourceDescriptor(name: requestRecord.id, digest: ["sha256": requestRecord.digest])]
        let record = try SignedRecord.sign(kind: kind, subjects: subjects, predicate: .execution(predicate), key: key)
        return (record, [rolloutRecord, requestRecord] + evaluation.approvals, IndexReplay.ringKey(deployment: rollout.deploymentId, ring: request.targetRing))
    }

    static func links(_ record: SignedRecord) -> [String: [String]] {
        guard case .execution(let execution) = record.predicate else { return [:] }
        var links = [
            "request": [execution.request.id], "approvals": execution.approvals.map(\.id), "rollout": [execution.rollout.id],
            "changeRecord": [execution.changeRecord],
        ]
        if let reverses = execution.reverses { links["reverses"] = [reverses.id] }
        if let previous = execution.previous { links["previous"] = [previous.id] }
        return links
    }

    // MARK: Readiness

    /// `hallmark readiness`: the verdict for moving `rolloutID` into `ring`, with every reason.
    public func readiness(rolloutID: String, ring: String) async throws(HallmarkError) -> Readiness.Report {
        try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            try await Readiness(log: log, now: now).evaluate(rolloutID: rolloutID, ring: ring).report
        }
    }
}
