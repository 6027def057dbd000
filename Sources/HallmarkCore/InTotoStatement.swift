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
            guard case .success(let descriptor) = Result(catching: { try JSONDecoder().decode(ResourceDescriptor.self, from: try CanonicalJSON.canonicalData(element)) })
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
    /// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC, proleptic Gregorian calendar).
    public static func format(unixSeconds: Int64) -> String {
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let seconds = unixSeconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var yearText = String(year)
        while yearText.count < 4 { yearText = "0" + yearText }
        return "\(yearText)-\(two(month))-\(two(day))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
    }

    /// Parses an RFC 3339 timestamp (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`), with or without fractional
    /// seconds; nil for anything else, or a date that does not exist.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<(index + digits)] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            index += digits
            return value
        }
        func expect(_ characters: Set<UInt8>) -> Bool {
            guard index < bytes.count, characters.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect([0x2D]), let month = number(2), expect([0x2D]), let day = number(2),
            expect([0x54, 0x74]), let hour = number(2), expect([0x3A]), let minute = number(2), expect([0x3A]), let second = number(2)
        else { return nil }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                fraction += Double(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset: Int64 = 0
        if expect([0x5A, 0x7A]) {
            offset = 0
        } else if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D {
            let sign: Int64 = bytes[index] == 0x2D ? -1 : 1
            index += 1
            guard let hours = number(2), expect([0x3A]), let minutes = number(2), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 60
        else { return nil }
        let seconds = days(fromCivil: year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    /// Unix seconds for a UTC date and time (no range checks beyond the calendar's).
    public static func unixSeconds(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), (0..<24).contains(hour), (0..<60).contains(minute),
            (0...60).contains(second)
        else { return nil }
        return days(fromCivil: year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (H. Hinnant's days_from_civil).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
