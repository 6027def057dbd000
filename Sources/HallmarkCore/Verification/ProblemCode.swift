/// A stable code naming what a verification found wrong: `area.problem`, lowercase, hyphenated.
///
/// Codes are API: scripts match on them, `--format json` carries them, DESIGN.md lists them. A code is never
/// renamed or reused for another meaning; new ones are added to ``catalog``.
public struct ProblemCode: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (lhs: ProblemCode, rhs: ProblemCode) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

// MARK: - Inputs that could not be read as what they claim to be (thrown; exit 2)

extension ProblemCode {
    /// A Sigstore bundle is not JSON, has an unknown media type, or lacks a required field.
    public static let bundleMalformed = ProblemCode("bundle.malformed")
    /// A certificate in a bundle (the leaf or a chain element) is not a DER X.509 certificate.
    public static let certificateUnparsable = ProblemCode("certificate.unparsable")
    /// A trusted root (`trusted_root.json`) is malformed.
    public static let trustedRootMalformed = ProblemCode("trusted-root.malformed")
    /// An attestation, envelope or Statement is malformed.
    public static let attestationMalformed = ProblemCode("attestation.malformed")
}

// MARK: - Signatures and signers

extension ProblemCode {
    /// A signature does not verify with the signer's key over the signed bytes.
    public static let signatureInvalid = ProblemCode("signature.invalid")
    /// A required signature is absent.
    public static let signatureMissing = ProblemCode("signature.missing")
    /// A signature verifies, but with a key that was not given as trusted.
    public static let signatureUntrustedKey = ProblemCode("signature.untrusted-key")
    /// The digest a bundle states for the artifact is not the artifact's.
    public static let artifactDigestMismatch = ProblemCode("artifact.digest-mismatch")
    /// The artifact is not a subject of the signed in-toto Statement.
    public static let subjectMismatch = ProblemCode("subject.mismatch")
    /// A DSSE payload is not an in-toto Statement, or has another payload type than required.
    public static let payloadInvalid = ProblemCode("payload.invalid")
    /// The bundle's verification material does not fit the policy (a key-signed bundle checked for an
    /// identity, or a certificate-signed one checked with a key).
    public static let materialMismatch = ProblemCode("material.mismatch")
}

// MARK: - Certificates

extension ProblemCode {
    /// The signing certificate is not fit to sign code: a CA, no code-signing usage, no identity.
    public static let certificateInvalidLeaf = ProblemCode("certificate.invalid-leaf")
    /// The signing certificate's key is of a type that cannot be used.
    public static let certificateUnsupportedKey = ProblemCode("certificate.unsupported-key")
    /// The signing certificate does not chain to a certificate authority of the trusted root.
    public static let chainUntrusted = ProblemCode("chain.untrusted")
    /// A certificate of the chain is not valid at the verified signing time.
    public static let chainExpired = ProblemCode("chain.expired")
    /// The trusted root trusts the certificate authority, but not at the verified signing time.
    public static let chainOutsideValidity = ProblemCode("chain.outside-validity")
    /// The bundle carries a root certificate of its own: only the trusted root may anchor a chain.
    public static let chainBundledRoot = ProblemCode("chain.bundled-root")
    /// The certificate has no embedded signed certificate timestamp.
    public static let sctMissing = ProblemCode("sct.missing")
    /// No embedded signed certificate timestamp verifies with a trusted CT log.
    public static let sctInvalid = ProblemCode("sct.invalid")
}

// MARK: - Identity

extension ProblemCode {
    /// No subject alternative name of the certificate matches the expected identity.
    public static let identityMismatch = ProblemCode("identity.mismatch")
    /// The certificate's OIDC issuer is not the expected one.
    public static let issuerMismatch = ProblemCode("issuer.mismatch")
    /// A Fulcio extension of the certificate (a GitHub workflow claim) is not the expected value.
    public static let claimMismatch = ProblemCode("identity.claim-mismatch")
}

// MARK: - Transparency log

extension ProblemCode {
    /// Fewer verified transparency-log entries than the policy requires.
    public static let tlogMissing = ProblemCode("tlog.missing")
    /// The entry's log is not one the trusted root lists.
    public static let tlogUntrustedLog = ProblemCode("tlog.untrusted-log")
    /// The logged entry body does not record this bundle's artifact, signature or signer.
    public static let tlogBodyMismatch = ProblemCode("tlog.body-mismatch")
    /// The entry is of a kind or version this verifier does not know.
    public static let tlogUnknownKind = ProblemCode("tlog.unknown-kind")
    /// The Merkle inclusion proof does not lead to its root hash.
    public static let tlogInclusionProofInvalid = ProblemCode("tlog.inclusion-proof-invalid")
    /// The checkpoint is malformed, disagrees with the proof, or is not signed by the log.
    public static let tlogCheckpointInvalid = ProblemCode("tlog.checkpoint-invalid")
    /// The signed entry timestamp (inclusion promise) does not verify with the log's key.
    public static let tlogSETInvalid = ProblemCode("tlog.set-invalid")
    /// The entry carries neither an inclusion proof nor a signed entry timestamp.
    public static let tlogUnproven = ProblemCode("tlog.unproven")
    /// The log's key is not trusted at the entry's integrated time.
    public static let tlogOutsideValidity = ProblemCode("tlog.outside-validity")
}

// MARK: - Time sources

extension ProblemCode {
    /// Fewer verified time sources (signed entry timestamps, RFC 3161 timestamps) than the policy requires.
    public static let timestampMissing = ProblemCode("timestamp.missing")
    /// An RFC 3161 timestamp does not cover the signature, is malformed, or its signature does not verify.
    public static let timestampInvalid = ProblemCode("timestamp.invalid")
    /// An RFC 3161 timestamp is not signed by a timestamp authority of the trusted root.
    public static let timestampUntrusted = ProblemCode("timestamp.untrusted")
    /// The timestamp authority is trusted, but not at the stamped time (or its chain is not valid then).
    public static let timestampOutsideValidity = ProblemCode("timestamp.outside-validity")
}

// MARK: - SLSA provenance and verification summaries

extension ProblemCode {
    /// The Statement is not SLSA provenance (v1 or v0.2).
    public static let provenanceNotProvenance = ProblemCode("provenance.not-provenance")
    /// The builder is not one the verifier trusts (pass --builder-id to trust one).
    public static let provenanceUntrustedBuilder = ProblemCode("provenance.untrusted-builder")
    /// The builder is not the expected one, or not the one that signed.
    public static let provenanceBuilderMismatch = ProblemCode("provenance.builder-mismatch")
    /// The source repository is not the expected one.
    public static let provenanceSourceMismatch = ProblemCode("provenance.source-mismatch")
    /// The source ref (tag or branch) is not the expected one.
    public static let provenanceRefMismatch = ProblemCode("provenance.ref-mismatch")
    /// The predicate disagrees with what the signing certificate records (source, ref, commit, builder).
    public static let provenancePredicateMismatch = ProblemCode("provenance.predicate-mismatch")
    /// The attestation is not a SLSA verification summary (VSA v1).
    public static let vsaNotVSA = ProblemCode("vsa.not-vsa")
    /// The summary's verifier is not the expected one.
    public static let vsaVerifierMismatch = ProblemCode("vsa.verifier-mismatch")
    /// The summary's resource URI is not the expected one.
    public static let vsaResourceMismatch = ProblemCode("vsa.resource-mismatch")
    /// The summary does not say PASSED.
    public static let vsaNotPassed = ProblemCode("vsa.not-passed")
    /// The summary does not grant a required level.
    public static let vsaLevelMissing = ProblemCode("vsa.level-missing")
    /// The DSSE signature's key id is not the expected one.
    public static let vsaKeyIDMismatch = ProblemCode("vsa.key-id-mismatch")
}

// MARK: - Release directories, remote releases, air-gap zips, installs

extension ProblemCode {
    /// A line of `checksums.txt` is not a checksum line.
    public static let checksumsMalformedLine = ProblemCode("checksums.malformed-line")
    /// `checksums.txt` names a path that climbs out, is absolute, or is otherwise unsafe.
    public static let checksumsUnsafePath = ProblemCode("checksums.unsafe-path")
    /// `checksums.txt` lists a file twice with different digests.
    public static let checksumsConflict = ProblemCode("checksums.conflict")
    /// `checksums.txt` lists no files.
    public static let checksumsEmpty = ProblemCode("checksums.empty")
    /// A listed file is absent.
    public static let fileMissing = ProblemCode("file.missing")
    /// A file's digest is not the listed one.
    public static let fileModified = ProblemCode("file.modified")
    /// A listed file cannot be read.
    public static let fileUnreadable = ProblemCode("file.unreadable")
    /// A symlink, device or directory stands where a release file should be.
    public static let fileNotRegular = ProblemCode("file.not-regular")
    /// A file is present that no list names.
    public static let fileUnlisted = ProblemCode("file.unlisted")
    /// `signatures.json` is malformed, names files the release does not list, or records another digest.
    public static let signaturesInvalid = ProblemCode("signatures.invalid")
    /// Release metadata (index, SBOM, provenance, reproducibility manifest) disagrees with `checksums.txt`.
    public static let metadataMismatch = ProblemCode("metadata.mismatch")
    /// A download failed (network, TLS, HTTP status other than 404).
    public static let downloadFailed = ProblemCode("download.failed")
    /// A file the release lists is not at the remote location (404 or absent from the manifest).
    public static let downloadNotFound = ProblemCode("download.not-found")
    /// A download was larger than its cap.
    public static let downloadTooLarge = ProblemCode("download.too-large")
    /// A registry manifest or blob is not what its descriptor says (digest, size, type).
    public static let registryContentMismatch = ProblemCode("registry.content-mismatch")
    /// The air-gap zip's required-file list and its members disagree.
    public static let airgapContentMismatch = ProblemCode("airgap.content-mismatch")
    /// The air-gap zip was checked only against the keys it carries itself: nothing outside it vouches for them.
    public static let airgapSelfVouched = ProblemCode("airgap.self-vouched")
    /// Members of the air-gap zip that no signature covers (instructions, a trusted root, other keys).
    public static let airgapUnauthenticated = ProblemCode("airgap.unauthenticated")
    /// The bytes to install were not authenticated (installed only because an unsafe option said so).
    public static let installUnauthenticated = ProblemCode("install.unauthenticated")
    /// The binary inside an archive is not the one the index lists.
    public static let installBinaryMismatch = ProblemCode("install.binary-mismatch")
    /// A verification could not establish every piece it requires, and no check said why: a defect to report.
    public static let verificationIncomplete = ProblemCode("verification.incomplete")
}

// MARK: - TUF (trust update)

extension ProblemCode {
    /// TUF metadata is not signed by a threshold of distinct keys of its role.
    public static let tufThreshold = ProblemCode("tuf.threshold")
    /// TUF metadata expired at the update's reference time.
    public static let tufExpired = ProblemCode("tuf.expired")
    /// TUF metadata would roll a trusted version back, or drops a role the trusted snapshot lists.
    public static let tufRollback = ProblemCode("tuf.rollback")
    /// TUF metadata or a target is not what its parent states: type, version, length or hashes.
    public static let tufMismatch = ProblemCode("tuf.mismatch")
    /// The target (or a delegated role on the way to it) is not listed by the trusted metadata.
    public static let tufNotListed = ProblemCode("tuf.not-listed")
}

// MARK: - Rollout governance (evidence records and their log)

extension ProblemCode {
    /// An evidence record's envelope does not verify with the key it names, or is not a record of its kind.
    public static let evidenceSignatureInvalid = ProblemCode("evidence.signature-invalid")
    /// A record in the log is not the record its leaf hash and the signed checkpoints commit to (changed after it
    /// was appended).
    public static let evidenceRecordChanged = ProblemCode("evidence.record-changed")
    /// A log checkpoint is malformed, or not signed by the log key.
    public static let evidenceCheckpointInvalid = ProblemCode("evidence.checkpoint-invalid")
    /// A newer checkpoint does not extend an older one (the log was rewritten or truncated).
    public static let evidenceConsistencyInvalid = ProblemCode("evidence.consistency-invalid")
    /// A record's inclusion proof does not lead to the checkpoint's root.
    public static let evidenceInclusionInvalid = ProblemCode("evidence.inclusion-invalid")
    /// A request's decisions and execution do not form one chain (two records follow the same one): a record was
    /// hidden from a writer, or an execution broke a rule the log shows.
    public static let evidenceChainForked = ProblemCode("evidence.chain-forked")
    /// The search index or a state head disagrees with the log it is derived from.
    public static let evidenceIndexMismatch = ProblemCode("evidence.index-mismatch")
    /// A rollout's files do not match its checksums, its release or its deployment manifest.
    public static let rolloutMismatch = ProblemCode("rollout.mismatch")
    /// The rollout's status does not allow promotion (it must be staged or succeeded).
    public static let promotionStatus = ProblemCode("promotion.status")
    /// The request expired.
    public static let promotionExpired = ProblemCode("promotion.expired")
    /// A record refers to a request, rollout or execution that is not the one in the log (changed or unknown).
    public static let promotionLinkInvalid = ProblemCode("promotion.link-invalid")
    /// The approver's key is not in the deployment's approver set, or is the requester's.
    public static let promotionApproverInvalid = ProblemCode("promotion.approver-invalid")
    /// This key already decided on this request.
    public static let promotionDuplicateApproval = ProblemCode("promotion.duplicate-approval")
    /// Fewer valid approvals than the deployment requires (or an approver rejected the request).
    public static let promotionApprovals = ProblemCode("promotion.approvals")
    /// The target ring is out of order: the previous ring has no successful execution of this release.
    public static let promotionRingOrder = ProblemCode("promotion.ring-order")
    /// The previous ring's soak time has not elapsed.
    public static let promotionSoak = ProblemCode("promotion.soak")
    /// Another execution holds the ring, or the request was already executed (a replay).
    public static let promotionReplay = ProblemCode("promotion.replay")
    /// A submitted decision follows a record that is no longer the request's latest: another decision landed first.
    public static let promotionStale = ProblemCode("promotion.stale")
}

extension ProblemCode {
    /// Every code, with its one-line meaning (DESIGN.md lists the same).
    public static let catalog: [ProblemCode] = [
        bundleMalformed, certificateUnparsable, trustedRootMalformed, attestationMalformed,
        signatureInvalid, signatureMissing, signatureUntrustedKey, artifactDigestMismatch, subjectMismatch, payloadInvalid,
        materialMismatch,
        certificateInvalidLeaf, certificateUnsupportedKey, chainUntrusted, chainExpired, chainOutsideValidity, chainBundledRoot,
        sctMissing, sctInvalid,
        identityMismatch, issuerMismatch, claimMismatch,
        tlogMissing, tlogUntrustedLog, tlogBodyMismatch, tlogUnknownKind, tlogInclusionProofInvalid, tlogCheckpointInvalid,
        tlogSETInvalid, tlogUnproven, tlogOutsideValidity,
        timestampMissing, timestampInvalid, timestampUntrusted, timestampOutsideValidity,
        provenanceNotProvenance, provenanceUntrustedBuilder, provenanceBuilderMismatch, provenanceSourceMismatch,
        provenanceRefMismatch, provenancePredicateMismatch,
        vsaNotVSA, vsaVerifierMismatch, vsaResourceMismatch, vsaNotPassed, vsaLevelMissing, vsaKeyIDMismatch,
        checksumsMalformedLine, checksumsUnsafePath, checksumsConflict, checksumsEmpty,
        fileMissing, fileModified, fileUnreadable, fileNotRegular, fileUnlisted, signaturesInvalid, metadataMismatch,
        downloadFailed, downloadNotFound, downloadTooLarge, registryContentMismatch,
        airgapContentMismatch, airgapSelfVouched, airgapUnauthenticated, installUnauthenticated, installBinaryMismatch,
        verificationIncomplete,
        tufThreshold, tufExpired, tufRollback, tufMismatch, tufNotListed,
        evidenceSignatureInvalid, evidenceRecordChanged, evidenceCheckpointInvalid, evidenceConsistencyInvalid,
        evidenceInclusionInvalid, evidenceIndexMismatch, evidenceChainForked, rolloutMismatch, promotionStatus, promotionExpired,
        promotionLinkInvalid, promotionApproverInvalid, promotionDuplicateApproval, promotionApprovals, promotionRingOrder,
        promotionSoak, promotionReplay, promotionStale,
    ]
}
