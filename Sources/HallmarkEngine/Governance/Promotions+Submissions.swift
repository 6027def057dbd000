import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// Records signed elsewhere and submitted (the API's way in): an approval is only ever an envelope its approver
/// signed, so a server that holds no approver key cannot make one. Each is checked as the command that makes it
/// would have made it, then appended under the same state guards.
extension Promotions {
    /// The largest envelope accepted.
    public static let submissionLimit = 256 * 1024

    /// `data` as a record of one of `kinds`: one signature that verifies with the signer it names, a canonical
    /// payload (RFC 8785) whose predicate has exactly the fields Hallmark writes, and the subjects its kind has.
    static func received(_ data: Data, kinds: Set<EvidenceKind>, source: String) throws(HallmarkError) -> EvidenceRecord {
        guard data.count <= submissionLimit else { throw .invalidInput("\(source): larger than \(submissionLimit / 1024) KiB") }
        let envelope = try CanonicalJSON.decode(DSSEEnvelope.self, from: data, source: source)
        guard envelope.signatures.count == 1 else {
            throw .invalidInput("\(source): a record carries exactly one signature, this envelope has \(envelope.signatures.count)")
        }
        // Every byte of the record is the signer's: the payload and signature in standard base64 exactly as
        // encoded, and the key id the one of the key the predicate names (the signature does not cover it).
        let payloadBytes = try envelope.payloadBytes(source: source)
        guard Base64.encode(payloadBytes) == envelope.payload, let sig = Base64.decode(envelope.signatures[0].sig),
            Base64.encode(sig) == envelope.signatures[0].sig
        else {
            throw .invalidInput("\(source): the payload and signature must be standard base64 with padding, as hallmark writes them")
        }
        let body: Data
        do { body = try CanonicalJSON.canonicalData(envelope) } catch { throw .invalidInput("\(source): cannot encode the envelope: \(error)") }
        let record = try EvidenceRecord.verify(body: body, source: source)
        guard envelope.signatures[0].keyid == record.signerKeyID else {
            throw .invalidInput("\(source): the signature's keyid must be the signer's key id (\(record.signerKeyID.prefix(16))…)")
        }
        guard kinds.contains(record.kind) else {
            throw .invalidInput("\(source): a \(record.kind.rawValue) record; expected \(kinds.map(\.rawValue).sorted().joined(separator: " or "))")
        }
        let payload = payloadBytes
        let statement: JSONValue
        do { statement = try JSONValue(parsing: payload) } catch { throw .invalidInput("\(source): the payload is not JSON: \(error)") }
        guard statement.canonicalData == payload else {
            throw .invalidInput("\(source): the payload is not canonical JSON (RFC 8785); sign it with hallmark")
        }
        let typed: JSONValue
        do { typed = try record.predicate.jsonValue } catch { throw .invalidInput("\(source): cannot encode the predicate: \(error)") }
        guard case .object(let fields) = statement, fields["predicate"] == typed else {
            throw .invalidInput("\(source): the predicate has fields a \(record.kind.rawValue) record does not have")
        }
        guard Set(fields.keys) == ["_type", "subject", "predicateType", "predicate"] else {
            throw .invalidInput("\(source): the Statement has fields besides _type, subject, predicateType and predicate")
        }
        // The whole Statement, re-encoded from what was read, is the payload byte for byte: no field at any depth
        // that Hallmark does not write, and Statement v1.
        let rebuilt: Data
        do {
            rebuilt = try CanonicalJSON.canonicalData(InTotoStatement(subject: record.subjects, predicateType: record.kind.predicateType, predicate: typed))
        } catch {
            throw .invalidInput("\(source): cannot encode the Statement: \(error)")
        }
        guard rebuilt == payload else {
            throw .invalidInput("\(source): the Statement is not exactly what Hallmark writes (an in-toto Statement v1 with no extra fields)")
        }
        return record
    }

    /// Equal byte for byte (Swift's `==` on strings treats canonically equivalent text as equal: `K` and the
    /// Kelvin sign, `é` composed or not; a submitted field must be exactly what the log says).
    static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// Equal as canonical JSON, byte for byte.
    static func same<T: Encodable>(_ a: T, _ b: T) -> Bool {
        do {
            return try CanonicalJSON.canonicalData(a) == CanonicalJSON.canonicalData(b)
        } catch {
            return false  // what cannot be encoded is not the same: the submission is refused
        }
    }

    static func created(_ record: EvidenceRecord, existing: Bool) -> Created {
        let signed = SignedRecord(kind: record.kind, body: record.body, digest: record.digest, id: record.id, predicate: record.predicate)
        var links: [String: [String]] = [:]
        var status = ""
        switch record.predicate {
        case .rollout(let rollout):
            status = rollout.status.rawValue
        case .request(let request):
            status = "pending"
            links = ["rollout": [request.rollout.id], "changeRecord": [request.changeRecord]]
            if let rollback = request.rollback { links["reverses"] = [rollback.execution.id] }
        case .approval(let approval):
            status = approval.decision == .approve ? "approved" : "rejected"
            links = ["request": [approval.request.id]]
        case .execution(let execution):
            status = execution.status.rawValue
            links = Self.links(signed)
        }
        return Created(id: record.id, kind: record.kind.rawValue, status: status, links: links, logIndex: record.index ?? -1, existing: existing)
    }

    /// The record with `record`'s id when the log has it (a submission sent twice is recorded once).
    func alreadyLogged(_ record: EvidenceRecord, log: EvidenceLog) async throws(HallmarkError) -> Created? {
        guard try await log.store.entry(recordID: record.id) != nil else { return nil }
        return Self.created(try await log.record(record.id), existing: true)
    }

    /// How far a submitted record's time may be from this server's clock: it is signed, then submitted at once.
    public static let submissionWindow: TimeInterval = 15 * 60
    /// How far ahead of this server's clock a signer's clock may be.
    public static let allowedSkew: TimeInterval = 60

    /// A time a client wrote: RFC 3339 UTC as Hallmark writes it (`2026-11-29T10:00:00Z`), within
    /// ``submissionWindow`` of this clock (searches and exports filter by it, so a record cannot be dated away).
    func submittedTime(_ text: String, _ field: String, _ source: String) throws(HallmarkError) -> Date {
        guard let date = RFC3339.parse(text), RFC3339.format(unixSeconds: Int64(date.timeIntervalSince1970)) == text else {
            throw .invalidInput("\(source): \(field) \(text.prefix(40)) is not an RFC 3339 UTC time such as 2026-11-29T10:00:00Z")
        }
        let offset = date.timeIntervalSince(now)
        guard offset <= Self.allowedSkew, -offset <= Self.submissionWindow else {
            throw .invalidInput(
                "\(source): \(field) \(text) is not within the last 15 minutes by this server's clock (\(nowText)); sign it again now, and check the signer's clock")
        }
        return date
    }

    /// Names of evidence files: plain file names of printable ASCII (no directories, no controls, no bidirectional
    /// overrides that would disguise an extension), unique.
    static func checkEvidenceNames(_ files: [EndpointDeployment.FileDigest], _ source: String) throws(HallmarkError) {
        var seen = Set<String>()
        for file in files {
            let name = file.file
            guard !name.isEmpty, name.utf8.count <= 255, name != ".", name != "..", !name.contains("/"), !name.contains("\\"),
                name.utf8.allSatisfy({ (0x20...0x7E).contains($0) }), seen.insert(name).inserted
            else {
                throw .invalidInput("\(source): evidence file \(String(name.prefix(60)).debugDescription) must be a plain, unique file name")
            }
            guard file.sha256.utf8.count == 64, file.sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                throw .invalidInput("\(source): evidence file \(String(name.prefix(60)).debugDescription) needs a sha256 of 64 lowercase hex digits")
            }
        }
    }

    // MARK: Approvals

    /// A decision on `requestID` signed by its approver, as `promote approve --sign-only` makes it. It must follow
    /// the request's chain as it is now (`after`); when another decision landed first, the approver signs again.
    public func submitDecision(requestID: String, envelope data: Data) async throws(HallmarkError) -> Created {
        let source = "the submitted decision"
        let record = try Self.received(data, kinds: [.promotionApproval], source: source)
        guard let approval = record.approval else { throw .invalidInput("\(source): not a decision") }
        guard Self.same(approval.request.id, requestID) else {
            throw .usage("\(source) is for \(approval.request.id), not \(requestID); submit it to /promotion-requests/\(approval.request.id)/approvals")
        }
        return try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            // The same envelope again is answered with the record, however long ago it landed.
            if let done = try await alreadyLogged(record, log: log) { return done }
            _ = try submittedTime(approval.createdAt, "createdAt", source)
            do throws(HallmarkError) {
                return try await appendDecision(record, approval: approval, requestID: requestID, log: log)
            } catch where error.code == .verificationFailed {
                // The same decision sent twice at once: the one that lost the race answers with the one that won.
                if let done = try await alreadyLogged(record, log: log) { return done }
                throw error
            }
        }
    }

    func appendDecision(_ record: EvidenceRecord, approval: PromotionApproval, requestID: String, log: EvidenceLog) async throws(HallmarkError) -> Created {
        let source = "the submitted decision"
        let head = try await log.head(IndexReplay.requestKey(requestID))
        let (request, rollout, chain) = try await decidable(requestID, keyID: approval.signer.keyId, log: log)
        if let asked = request.request.flatMap({ RFC3339.parse($0.createdAt) }), let decided = RFC3339.parse(approval.createdAt), decided < asked {
            throw .invalidInput("\(source): createdAt \(approval.createdAt) is before the request was made")
        }
        guard Self.same(approval.request, request.link) else {
            throw .verificationFailed("\(source) names \(requestID) with another digest than the logged request's", problem: .promotionLinkInvalid)
        }
        guard Self.same(record.subjects, [ResourceDescriptor(name: request.id, digest: ["sha256": request.digest])]) else {
            throw .invalidInput("\(source): its subject must be the request \(request.id) and its digest")
        }
        let current = chain.last?.link ?? request.link
        guard let after = approval.after, Self.same(after, current) else {
            throw .verificationFailed(
                "\(source) follows \(approval.after?.id ?? "nothing"), but \(requestID)'s latest record is now \(current.id); sign the decision again",
                problem: .promotionStale)
        }
        let signed = SignedRecord(kind: record.kind, body: record.body, digest: record.digest, id: record.id, predicate: record.predicate)
        let (row, updates) = try rows(for: signed, after: [rollout, request] + chain)
        let guards = [StateGuard(key: IndexReplay.requestKey(requestID), expected: head?.digest, next: record.digest)]
        switch try await log.append(signed, row: row, updates: updates, guards: guards) {
        case .appended(let index, _):
            var created = Self.created(record, existing: false)
            created.logIndex = index
            created.links["rollout"] = [rollout.id]
            return created
        case .conflict:
            throw .verificationFailed("\(requestID) moved on while \(source) was checked; sign the decision again", problem: .promotionStale)
        case .duplicate:
            throw .verificationFailed("\(requestID): this decision is already recorded", problem: .promotionDuplicateApproval)
        }
    }

    /// What an approver signs for `request` (its logged envelope, checked here) following `after`: the record
    /// `promote approve --server … --sign-only` prints, made where the approver's key is.
    public func signDecision(
        requestBody: Data, requestID: String, after: RecordLink, decision: PromotionApproval.Decision, key: String?, comment: String?
    ) throws(HallmarkError) -> (id: String, body: Data) {
        let signingKey = try KeyResolver(context: context).signingKey(key)
        let request = try EvidenceRecord.verify(body: requestBody, expectedID: requestID, source: requestID)
        guard request.request != nil else { throw .usage("\(requestID) is a \(request.kind.rawValue), not a request") }
        guard after == request.link || EvidenceKind.promotionApproval.recordID(digest: after.sha256) == after.id else {
            throw .invalidInput("\(requestID): the server's chain head \(after.id.prefix(40)) is neither the request nor a decision on it")
        }
        let predicate = PromotionApproval(
            request: request.link, after: after, decision: decision, comment: comment, createdAt: nowText, signer: SignedRecord.signer(signingKey))
        let record = try SignedRecord.sign(
            kind: .promotionApproval, subjects: [ResourceDescriptor(name: request.id, digest: ["sha256": request.digest])],
            predicate: .approval(predicate), key: signingKey)
        return (record.id, record.body)
    }

    // MARK: Requests

    /// A promotion or rollback request signed by its requester, as `promote request` would have made it: every
    /// field that comes from the rollout (and the execution reversed) must be what the log says.
    /// `kinds` is what the caller's route takes; `caller` names who submits it: a request that names an `actor`
    /// must name the caller.
    public func submitRequest(envelope data: Data, kinds: Set<EvidenceKind>, caller: String?) async throws(HallmarkError) -> Created {
        let source = "the submitted request"
        let record = try Self.received(data, kinds: kinds, source: source)
        guard let request = record.request else { throw .invalidInput("\(source): not a request") }
        if let actor = request.actor, !Self.same(actor, caller ?? "") {
            throw .invalidInput("\(source): its actor is \(String(actor.prefix(64)).debugDescription), not the caller; leave actor out (a service sets it)")
        }
        if let rollback = request.rollback { try Self.checkEvidenceNames(rollback.evidence, source) }
        return try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            if let done = try await alreadyLogged(record, log: log) { return done }
            return try await checkAndAppendRequest(record, request: request, log: log, source: source)
        }
    }

    func checkAndAppendRequest(_ record: EvidenceRecord, request: PromotionRequest, log: EvidenceLog, source: String) async throws(HallmarkError) -> Created {
        let created = try submittedTime(request.createdAt, "createdAt", source)
        guard let expires = RFC3339.parse(request.expiresAt), RFC3339.format(unixSeconds: Int64(expires.timeIntervalSince1970)) == request.expiresAt,
            expires > now, expires > created, expires.timeIntervalSince(created) <= 90 * 86_400
        else {
            throw .verificationFailed("\(source): expiresAt \(request.expiresAt.prefix(40)) is past, or more than 90 days after createdAt", problem: .promotionExpired)
        }
        guard request.nonce.utf8.count == 32, request.nonce.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw .invalidInput("\(source): nonce must be 32 lowercase hex digits (128 random bits)")
        }
        let rollout = try await log.linked(request.rollout, kinds: [.rollout], from: record.id)
        guard let predicate = rollout.rollout else { throw .usage("\(request.rollout.id) is not a rollout") }
        guard predicate.status != .failed else {
            throw .verificationFailed("\(rollout.id): the rollout is failed; only a staged or succeeded rollout can be promoted", problem: .promotionStatus)
        }
        guard predicate.rings.contains(where: { Self.same($0, request.targetRing) }) else {
            throw .usage("\(source): ring \(request.targetRing) is not one of \(rollout.id)'s rings (\(predicate.rings.joined(separator: ", ")))")
        }
        guard predicate.controls.approvals != nil else {
            throw .invalidInput("\(rollout.id): the deployment names no approvers, so no promotion can be approved")
        }
        var evidence = ["rollout": rollout.digest, "deploymentManifest": predicate.deploymentManifest.sha256, "index": predicate.release.indexSha256]
        var subjects = [ResourceDescriptor(name: rollout.id, digest: ["sha256": rollout.digest])]
        if let rollback = request.rollback {
            guard record.kind == .rollbackRequest else { throw .invalidInput("\(source): a promotion request does not carry a rollback") }
            let reversed = try await log.linked(rollback.execution, kinds: [.promotionExecution], from: record.id)
            guard let execution = reversed.execution, execution.status == .succeeded else {
                throw .usage("\(reversed.id) failed; there is nothing to roll back")
            }
            guard Self.same(execution.rollout, rollout.link), Self.same(execution.targetRing, request.targetRing),
                Self.same(execution.release, request.release), Self.same(execution.changeRecord, request.changeRecord)
            else {
                throw .verificationFailed("\(source): its rollout, ring, release or change record is not the reversed execution's", problem: .promotionLinkInvalid)
            }
            try await Self.checkEarlier(rollback.toVersion, before: reversed, ring: execution.targetRing, log: log)
            evidence = ["execution": reversed.digest, "rollout": rollout.digest]
            subjects = [ResourceDescriptor(name: reversed.id, digest: ["sha256": reversed.digest])]
                + rollback.evidence.map { ResourceDescriptor(name: $0.file, digest: ["sha256": $0.sha256]) }
        } else {
            guard record.kind == .promotionRequest else { throw .invalidInput("\(source): a rollback request must name what it reverses") }
            guard Self.same(request.release, predicate.release), Self.same(request.changeRecord, predicate.changeRecord) else {
                throw .verificationFailed("\(source): its release or change record is not the rollout's", problem: .promotionLinkInvalid)
            }
        }
        guard Self.same(request.evidence, evidence) else {
            throw .verificationFailed("\(source): its evidence digests are not those of the records it names", problem: .promotionLinkInvalid)
        }
        guard Self.same(record.subjects, subjects) else { throw .invalidInput("\(source): its subjects are not the records (and files) it rests on") }
        let signed = SignedRecord(kind: record.kind, body: record.body, digest: record.digest, id: record.id, predicate: record.predicate)
        do throws(HallmarkError) {
            return try await appendRequest(signed, request: request, dependencies: [rollout], log: log)
        } catch where error.problem == .promotionReplay {
            if let done = try await alreadyLogged(record, log: log) { return done }
            throw error
        }
    }
}
