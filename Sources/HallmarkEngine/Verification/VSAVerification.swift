import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark verify-vsa`: a SLSA Verification Summary Attestation (https://slsa.dev/verification_summary/v1) in a
/// DSSE envelope signed with a plain key, checked as slsa-verifier's `verify-vsa` checks it and as the SLSA spec's
/// "how to verify" says: the signature (ECDSA in DER or raw r‖s), the key id, every expected subject digest,
/// the verifier, the resource, PASSED, and the levels.
public struct VSAVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public static let predicateType = "https://slsa.dev/verification_summary/v1"

    public struct Request: Sendable {
        public var attestation: String
        public var key: String
        /// The key id the envelope's signature must name; default: the key's SSH fingerprint (`SHA256:…`).
        public var keyID: String?
        /// `TYPE:VALUE`, each of which some subject must list.
        public var subjectDigests: [String]
        public var verifierID: String
        public var resourceURI: String
        public var verifiedLevels: [String]

        public init(attestation: String, key: String, keyID: String? = nil, subjectDigests: [String], verifierID: String, resourceURI: String, verifiedLevels: [String] = []) {
            self.attestation = attestation
            self.key = key
            self.keyID = keyID
            self.subjectDigests = subjectDigests
            self.verifierID = verifierID
            self.resourceURI = resourceURI
            self.verifiedLevels = verifiedLevels
        }
    }

    /// A summary that verified.
    public struct VerifiedVSA: Sendable {
        public let keyID: String
        public let verifierID: String
        public let resourceURI: String
        public let verifiedLevels: [String]
        public let statement: JSONValue
    }

    public struct Report: Codable, Sendable {
        public var schemaVersion = VerificationReportSchema.version
        public var attestation: String
        public var verified: Bool
        public var problems: [VerificationProblem]
        public var keyId: String?
        public var verifierId: String?
        public var resourceUri: String?
        public var verificationResult: String?
        public var verifiedLevels: [String]?
        public var statement: JSONValue?
    }

    /// A level: `SLSA_<TRACK>_LEVEL_<n>` (which implies the lower levels of its track), or any other name,
    /// matched exactly.
    enum Level: Hashable {
        case slsa(track: String, level: Int)
        case other(String)

        init?(_ text: String) {
            guard text.hasPrefix("SLSA_") else {
                self = .other(text)
                return
            }
            let parts = text.split(separator: "_", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count == 4, parts[2] == "LEVEL", !parts[1].isEmpty, let level = Int(parts[3]), level >= 0, parts[3].allSatisfy(\.isASCIIDigit) else {
                return nil
            }
            self = .slsa(track: String(parts[1]), level: level)
        }
    }

    /// Whether the summary's levels satisfy every expected one.
    static func missingLevels(expected: [Level], granted: [Level]) -> [Level] {
        var ladder: [String: Int] = [:]
        var others: Set<String> = []
        for level in granted {
            switch level {
            case .slsa(let track, let n): ladder[track] = max(ladder[track] ?? -1, n)
            case .other(let name): others.insert(name)
            }
        }
        return expected.filter { level in
            switch level {
            case .slsa(let track, let n): (ladder[track] ?? -1) < n
            case .other(let name): !others.contains(name)
            }
        }
    }

    /// Verifies the summary in `request.attestation`: the signature by the key, the statement, every expected
    /// subject digest, the verifier, the resource, PASSED and the levels. Returns the verdict and its report.
    public func verify(_ request: Request) throws(HallmarkError) -> (verdict: Verdict<VerifiedVSA>, report: Report) {
        // Flags first: malformed expectations are usage errors.
        let expected = try Expectations(request)
        let key = try KeyResolver(context: context).publicKey(request.key)
        let envelope = try readEnvelope(request.attestation)
        let file = request.attestation
        var problems = ProblemList()
        var report = Report(attestation: file, verified: false, problems: [])

        // 1. The signature, by a signature that names this key (or names none).
        let signedBy = try Self.checkSignature(
            of: envelope, key: key, expectedKeyID: request.keyID ?? key.sshFingerprint ?? "", file: file, problems: &problems)
        report.keyId = signedBy

        // 2. The Statement: an in-toto Statement carrying a VSA.
        guard let statement = Self.statement(in: envelope, file: file, problems: &problems) else {
            report.problems = problems.all
            return (.failed(problems.all), report)
        }
        report.statement = statement
        let type = statement["_type"]?.stringValue ?? ""
        if type != InTotoStatement.typeV1 && type != InTotoStatement.typeV01 {
            problems.add(.payloadInvalid, "the payload is not an in-toto Statement (_type \(type))", file: file)
        }
        guard statement["predicateType"]?.stringValue == Self.predicateType else {
            problems.add(.vsaNotVSA, "the predicate type is \(statement["predicateType"]?.stringValue ?? "missing"), not \(Self.predicateType)", file: file)
            report.problems = problems.all
            return (.failed(problems.all), report)
        }

        // 3. Every expected digest is listed by some subject.
        Self.checkSubjects(of: statement, expected: expected.digests, file: file, problems: &problems)

        // 4. Verifier, resource, result, levels.
        let claims = Claims(statement["predicate"])
        report.verifierId = claims.verifier
        report.resourceUri = claims.resource
        report.verificationResult = claims.result
        report.verifiedLevels = claims.grantedText
        let missing = claims.check(against: request, expectedLevels: expected.levels, file: file, problems: &problems)

        let verdict = problems.verdict({ () -> VerifiedVSA? in
            guard let signedBy, claims.verifier == request.verifierID, claims.resource == request.resourceURI,
                claims.result == "PASSED", missing.isEmpty
            else { return nil }
            return VerifiedVSA(
                keyID: signedBy, verifierID: claims.verifier, resourceURI: claims.resource, verifiedLevels: claims.grantedText,
                statement: statement)
        }, subject: file, file: file)
        report.verified = verdict.isVerified
        report.problems = verdict.problems
        return (verdict, report)
    }

    /// URL-safe base64 as standard base64.
    static func standardBase64(_ text: String) -> String {
        var out = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while out.count % 4 != 0 { out += "=" }
        return out
    }
}

// MARK: - The steps of a summary's verification

extension VSAVerification {
    /// What the command line expects of the summary, parsed and checked before anything is read.
    private struct Expectations {
        /// `--subject-digest`: each `TYPE:VALUE` some subject must list.
        var digests: [(type: String, value: String)] = []
        /// `--verified-level`: each level the summary must grant.
        var levels: [Level] = []

        /// Parses the request's digests and levels; a malformed one, or a missing digest, verifier or resource,
        /// is a usage error.
        init(_ request: Request) throws(HallmarkError) {
            guard !request.subjectDigests.isEmpty else { throw .usage("pass at least one --subject-digest TYPE:VALUE") }
            for text in request.subjectDigests {
                guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else {
                    throw .usage("--subject-digest \(text): expected TYPE:VALUE, e.g. sha256:<hex>")
                }
                digests.append((String(text[..<colon]), String(text[text.index(after: colon)...])))
            }
            for text in request.verifiedLevels {
                guard let level = Level(text) else { throw .usage("--verified-level \(text): an SLSA level is SLSA_<TRACK>_LEVEL_<n>") }
                levels.append(level)
            }
            guard !request.verifierID.isEmpty, !request.resourceURI.isEmpty else { throw .usage("pass --verifier-id and --resource-uri") }
        }
    }

    /// What the summary's predicate claims: the verifier, the resource, the result and the levels.
    private struct Claims {
        /// `predicate.verifier.id` ("" when missing).
        let verifier: String
        /// `predicate.resourceUri` ("" when missing).
        let resource: String
        /// `predicate.verificationResult`.
        let result: String?
        /// `predicate.verifiedLevels`, as written.
        let grantedText: [String]

        /// Reads the claims of `predicate` (a missing predicate claims nothing).
        init(_ predicate: JSONValue?) {
            verifier = predicate?["verifier"]?["id"]?.stringValue ?? ""
            resource = predicate?["resourceUri"]?.stringValue ?? ""
            result = predicate?["verificationResult"]?.stringValue
            grantedText = (predicate?["verifiedLevels"]?.arrayValue ?? []).compactMap(\.stringValue)
        }

        /// Records each claim that is not what the request expects; returns the expected levels not granted.
        func check(
            against request: Request, expectedLevels: [Level], file: String, problems: inout ProblemList
        ) -> [Level] {
            if verifier != request.verifierID {
                problems.add(.vsaVerifierMismatch, "the summary's verifier is \(verifier.isEmpty ? "missing" : verifier), not \(request.verifierID)", file: file)
            }
            if resource != request.resourceURI {
                problems.add(.vsaResourceMismatch, "the summary is about \(resource.isEmpty ? "no resource" : resource), not \(request.resourceURI)", file: file)
            }
            if result != "PASSED" {
                problems.add(.vsaNotPassed, "the summary's verification result is \(result ?? "missing"), not PASSED", file: file)
            }
            var granted: [Level] = []
            for text in grantedText {
                if let level = Level(text) { granted.append(level) } else {
                    problems.add(.payloadInvalid, "the summary's level \(text) is not SLSA_<TRACK>_LEVEL_<n>", file: file)
                }
            }
            let missing = VSAVerification.missingLevels(expected: expectedLevels, granted: granted)
            if !missing.isEmpty {
                let names = zip(expectedLevels, request.verifiedLevels).filter { missing.contains($0.0) }.map(\.1)
                problems.add(.vsaLevelMissing, "the summary does not grant \(names.joined(separator: ", ")) (it grants \(grantedText.joined(separator: ", ")))", file: file)
            }
            return missing
        }
    }

    /// The one DSSE envelope in the file `attestation`.
    private func readEnvelope(_ attestation: String) throws(HallmarkError) -> DSSEEnvelope {
        let data = try FileIO.read(try context.resolve(attestation), display: attestation, limit: 16 << 20)
        let envelopes = try DSSEEnvelope.parseAll(data, source: attestation)
        guard envelopes.count == 1, let envelope = envelopes.first else {
            throw .invalidInput("\(attestation): expected one DSSE envelope, found \(envelopes.count)", problem: .attestationMalformed)
        }
        return envelope
    }

    /// The key id that signed the envelope: the first signature that names `expectedKeyID` (or names none) and
    /// verifies with `key`. Nil, with the reason recorded, when none does.
    private static func checkSignature(
        of envelope: DSSEEnvelope, key: PublicKey, expectedKeyID: String, file: String, problems: inout ProblemList
    ) throws(HallmarkError) -> String? {
        let pae = DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: Data(try envelope.payloadBytes(source: file)))
        var skipped = 0
        for signature in envelope.signatures {
            if let named = signature.keyid, !named.isEmpty, !expectedKeyID.isEmpty, named != expectedKeyID {
                skipped += 1
                continue
            }
            let bytes = Base64.decode(signature.sig) ?? Base64.decode(Self.standardBase64(signature.sig))
            if let bytes, key.isValidSignature(Array(bytes), for: pae) {
                return expectedKeyID.isEmpty ? key.keyID : expectedKeyID
            }
        }
        if envelope.signatures.isEmpty {
            problems.add(.signatureMissing, "the envelope has no signatures", file: file)
        } else if skipped == envelope.signatures.count {
            let named = envelope.signatures.compactMap(\.keyid).joined(separator: ", ")
            problems.add(.vsaKeyIDMismatch, "the envelope's signatures name key id \(named), not \(expectedKeyID) (pass --key-id to name the key as the envelope does)", file: file)
        } else {
            problems.add(.signatureInvalid, "no signature of the envelope verifies with the key (the summary was changed, or another key signed it)", file: file)
        }
        return nil
    }

    /// The envelope's payload as JSON, when it is an in-toto payload that parses; nil with the reason recorded.
    private static func statement(in envelope: DSSEEnvelope, file: String, problems: inout ProblemList) -> JSONValue? {
        guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
            problems.add(.payloadInvalid, "the payload type is \(envelope.payloadType), not \(DSSEEnvelope.inTotoPayloadType)", file: file)
            return nil
        }
        do {
            return try JSONValue(parsing: try envelope.payloadBytes(source: file))
        } catch {
            problems.add(.payloadInvalid, "the payload is not JSON (\(error))", file: file)
            return nil
        }
    }

    /// Records each expected digest that no subject of the statement lists (and a statement that lists none).
    private static func checkSubjects(
        of statement: JSONValue, expected: [(type: String, value: String)], file: String, problems: inout ProblemList
    ) {
        var listed: [String: Set<String>] = [:]
        for subject in statement["subject"]?.arrayValue ?? [] {
            for (type, value) in subject["digest"]?.objectValue ?? [:] {
                if let text = value.stringValue { listed[type, default: []].insert(text) }
            }
        }
        if listed.isEmpty { problems.add(.payloadInvalid, "the summary's subjects list no digests", file: file) }
        for digest in expected where !(listed[digest.type]?.contains(digest.value) ?? false) {
            problems.add(.subjectMismatch, "no subject of the summary has \(digest.type):\(digest.value)", file: file)
        }
    }
}
