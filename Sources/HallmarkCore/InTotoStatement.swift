import Foundation

/// An in-toto ResourceDescriptor: what a Statement's subject, a dependency or a byproduct is.
public struct ResourceDescriptor: Codable, Sendable, Equatable {
    public var name: String?
    public var uri: String?
    public var digest: [String: String]?
    public var mediaType: String?
    public var downloadLocation: String?
    public var annotations: JSONValue?

    public init(name: String? = nil, uri: String? = nil, digest: [String: String]? = nil, mediaType: String? = nil) {
        self.name = name
        self.uri = uri
        self.digest = digest
        self.mediaType = mediaType
    }

    /// Expected decoded lengths of the digest algorithms the in-toto specification knows.
    static let knownDigestLengths: [String: Set<Int>] = [
        "md5": [16], "sha1": [20], "sha224": [28], "sha512_224": [28], "sha3_224": [28],
        "sha256": [32], "sha512_256": [32], "sha3_256": [32], "dirHash": [32],
        "sha384": [48], "sha3_384": [48], "sha512": [64], "sha3_512": [64],
        "gitBlob": [20, 32], "gitCommit": [20, 32], "gitTag": [20, 32], "gitTree": [20, 32],
    ]

    /// Problems that make this descriptor invalid under the in-toto ResourceDescriptor rules.
    public func validationProblems() -> [String] {
        var problems: [String] = []
        let hasName = !(name ?? "").isEmpty
        let hasURI = !(uri ?? "").isEmpty
        let hasDigest = !(digest ?? [:]).isEmpty
        if !hasName && !hasURI && !hasDigest {
            problems.append("a resource descriptor needs at least one of name, uri or digest")
        }
        for (algorithm, value) in (digest ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let lengths = Self.knownDigestLengths[algorithm] else { continue }
            guard let bytes = Hex.decode(value) else {
                problems.append("digest \(algorithm) is not hex: \"\(value)\"")
                continue
            }
            if !lengths.contains(bytes.count) {
                let expected = lengths.sorted().map(String.init).joined(separator: " or ")
                problems.append("digest \(algorithm) is \(bytes.count) bytes, expected \(expected)")
            }
        }
        return problems
    }
}

/// An in-toto Statement (v1, and legacy v0.1 when reading): subjects, a predicate type and a predicate.
public struct InTotoStatement: Codable, Sendable, Equatable {
    public static let typeV1 = "https://in-toto.io/Statement/v1"
    public static let typeV01 = "https://in-toto.io/Statement/v0.1"

    public var type: String
    public var subject: [ResourceDescriptor]
    public var predicateType: String
    public var predicate: JSONValue?

    enum CodingKeys: String, CodingKey {
        case type = "_type"
        case subject, predicateType, predicate
    }

    public init(subject: [ResourceDescriptor], predicateType: String, predicate: JSONValue) {
        self.type = Self.typeV1
        self.subject = subject
        self.predicateType = predicateType
        self.predicate = predicate
    }

    /// Problems that make this Statement invalid under the in-toto attestation framework's rules.
    public func validationProblems() -> [String] {
        var problems: [String] = []
        if type != Self.typeV1 && type != Self.typeV01 {
            problems.append("_type \"\(type)\" is not \(Self.typeV1) (or the legacy \(Self.typeV01))")
        }
        if subject.isEmpty { problems.append("the Statement has no subject") }
        for (index, s) in subject.enumerated() {
            problems += s.validationProblems().map { "subject[\(index)]: \($0)" }
            if (s.digest ?? [:]).isEmpty { problems.append("subject[\(index)] has no digest") }
        }
        if predicateType.isEmpty { problems.append("predicateType is empty") }
        if predicate == nil || predicate == .null { problems.append("the Statement has no predicate") }
        return problems
    }

    /// Parses and validates a Statement; `source` names where it came from in errors.
    public init(validating data: Data, source: String) throws(HallmarkError) {
        let statement = try CanonicalJSON.decode(InTotoStatement.self, from: data, source: source)
        let problems = statement.validationProblems()
        guard problems.isEmpty else {
            throw .invalidInput("\(source): not a valid in-toto Statement: \(problems.joined(separator: "; "))")
        }
        self = statement
    }

    /// The subjects whose sha256 digest equals `hex`.
    public func subjects(matchingSHA256 hex: String) -> [ResourceDescriptor] {
        subject.filter { $0.digest?["sha256"]?.lowercased() == hex.lowercased() }
    }
}

/// The SLSA Provenance v1 predicate's required shape, for validating predicates we read.
public enum SLSAProvenanceV1 {
    public static let predicateType = "https://slsa.dev/provenance/v1"

    /// Problems that make `predicate` an invalid SLSA v1 provenance predicate.
    public static func validationProblems(_ predicate: JSONValue) -> [String] {
        var problems: [String] = []
        let nonEmptyObject: (JSONValue?) -> Bool = { ($0?.objectValue?.isEmpty == false) }
        let buildDefinition = predicate["buildDefinition"]
        if !nonEmptyObject(buildDefinition) {
            problems.append("buildDefinition is missing or empty")
        } else {
            if (buildDefinition?["buildType"]?.stringValue ?? "").isEmpty { problems.append("buildDefinition.buildType is missing") }
            if !nonEmptyObject(buildDefinition?["externalParameters"]) {
                problems.append("buildDefinition.externalParameters is missing or empty")
            }
            problems += descriptorProblems(buildDefinition?["resolvedDependencies"], at: "buildDefinition.resolvedDependencies")
        }
        let runDetails = predicate["runDetails"]
        if !nonEmptyObject(runDetails) {
            problems.append("runDetails is missing or empty")
        } else if !nonEmptyObject(runDetails?["builder"]) {
            problems.append("runDetails.builder is missing or empty")
        } else if (runDetails?["builder"]?["id"]?.stringValue ?? "").isEmpty {
            problems.append("runDetails.builder.id is missing")
        } else {
            problems += descriptorProblems(runDetails?["byproducts"], at: "runDetails.byproducts")
            problems += descriptorProblems(runDetails?["builder"]?["builderDependencies"], at: "runDetails.builder.builderDependencies")
            for key in ["startedOn", "finishedOn"] {
                if let value = runDetails?["metadata"]?[key], !isTimestamp(value.stringValue) {
                    problems.append("runDetails.metadata.\(key) is not an RFC 3339 timestamp")
                }
            }
        }
        return problems
    }

    private static func descriptorProblems(_ value: JSONValue?, at path: String) -> [String] {
        guard let elements = value?.arrayValue else { return [] }
        var problems: [String] = []
        for (index, element) in elements.enumerated() {
            guard let data = try? CanonicalJSON.canonicalData(element),
                let descriptor = try? JSONDecoder().decode(ResourceDescriptor.self, from: data)
            else {
                problems.append("\(path)[\(index)] is not a resource descriptor")
                continue
            }
            problems += descriptor.validationProblems().map { "\(path)[\(index)]: \($0)" }
        }
        return problems
    }

    private static func isTimestamp(_ text: String?) -> Bool {
        guard let text else { return false }
        return RFC3339.parse(text) != nil
    }
}

/// RFC 3339 timestamps, written in UTC with a `Z`.
public enum RFC3339 {
    /// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
    public static func format(unixSeconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }

    /// Parses an RFC 3339 timestamp, with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
