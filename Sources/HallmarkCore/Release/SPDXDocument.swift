/// An SPDX 2.3 document in its JSON form (the subset Hallmark writes and reads back).
public struct SPDXDocument: Codable, Sendable, Equatable {
    public var spdxVersion = "SPDX-2.3"
    public var dataLicense = "CC0-1.0"
    public var SPDXID = "SPDXRef-DOCUMENT"
    public var name: String
    public var documentNamespace: String
    public var creationInfo: CreationInfo
    public var documentDescribes: [String]?
    public var packages: [Package]
    public var files: [File]?
    public var relationships: [Relationship]

    // Documents from other tools may leave out what Hallmark always writes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        spdxVersion = try c.decode(String.self, forKey: .spdxVersion)
        dataLicense = try c.decode(String.self, forKey: .dataLicense)
        SPDXID = try c.decode(String.self, forKey: .SPDXID)
        name = try c.decode(String.self, forKey: .name)
        documentNamespace = try c.decode(String.self, forKey: .documentNamespace)
        creationInfo = try c.decode(CreationInfo.self, forKey: .creationInfo)
        documentDescribes = try c.decodeIfPresent([String].self, forKey: .documentDescribes)
        packages = try c.decodeIfPresent([Package].self, forKey: .packages) ?? []
        files = try c.decodeIfPresent([File].self, forKey: .files)
        relationships = try c.decodeIfPresent([Relationship].self, forKey: .relationships) ?? []
    }

    public static let fileName = "sbom.spdx.json"
    public static let mediaType = "application/spdx+json"

    public init(
        name: String, documentNamespace: String, creationInfo: CreationInfo, packages: [Package], files: [File],
        relationships: [Relationship]
    ) {
        self.name = name
        self.documentNamespace = documentNamespace
        self.creationInfo = creationInfo
        self.packages = packages
        self.files = files.isEmpty ? nil : files
        self.relationships = relationships
    }

    public struct CreationInfo: Codable, Sendable, Equatable {
        public var created: String
        public var creators: [String]
        public var licenseListVersion: String?

        public init(created: String, creators: [String]) {
            self.created = created
            self.creators = creators
        }
    }

    public struct Checksum: Codable, Sendable, Equatable {
        public var algorithm: String
        public var checksumValue: String

        public init(algorithm: String, checksumValue: String) {
            self.algorithm = algorithm
            self.checksumValue = checksumValue
        }
    }

    public struct ExternalRef: Codable, Sendable, Equatable {
        public var referenceCategory: String
        public var referenceType: String
        public var referenceLocator: String

        public static func purl(_ locator: String) -> ExternalRef {
            ExternalRef(referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: locator)
        }
    }

    public struct Package: Codable, Sendable, Equatable {
        public var SPDXID: String
        public var name: String
        public var versionInfo: String?
        public var packageFileName: String?
        public var supplier: String?
        public var originator: String?
        public var downloadLocation: String
        public var filesAnalyzed: Bool?
        public var checksums: [Checksum]?
        public var licenseConcluded: String?
        public var licenseDeclared: String?
        public var copyrightText: String?
        public var externalRefs: [ExternalRef]?
        public var primaryPackagePurpose: String?
        public var comment: String?

        public init(
            id: String, name: String, version: String?, supplier: String, downloadLocation: String,
            purpose: String?, checksums: [Checksum] = [], fileName: String? = nil, purl: String? = nil,
            license: String = "NOASSERTION", comment: String? = nil
        ) {
            SPDXID = id
            self.name = name
            versionInfo = version
            packageFileName = fileName
            self.supplier = supplier
            self.downloadLocation = downloadLocation
            filesAnalyzed = false
            self.checksums = checksums.isEmpty ? nil : checksums
            licenseConcluded = "NOASSERTION"
            licenseDeclared = license
            copyrightText = "NOASSERTION"
            externalRefs = purl.map { [.purl($0)] }
            primaryPackagePurpose = purpose
            self.comment = comment
        }
    }

    public struct File: Codable, Sendable, Equatable {
        public var SPDXID: String
        public var fileName: String
        public var checksums: [Checksum]
        public var fileTypes: [String]?
        public var licenseConcluded: String?
        public var copyrightText: String?
        public var comment: String?

        public init(id: String, fileName: String, checksums: [Checksum], types: [String], comment: String?) {
            SPDXID = id
            self.fileName = fileName
            self.checksums = checksums
            fileTypes = types
            licenseConcluded = "NOASSERTION"
            copyrightText = "NOASSERTION"
            self.comment = comment
        }
    }

    public struct Relationship: Codable, Sendable, Equatable {
        public var spdxElementId: String
        public var relationshipType: String
        public var relatedSpdxElement: String

        public init(_ element: String, _ type: String, _ related: String) {
            spdxElementId = element
            relationshipType = type
            relatedSpdxElement = related
        }
    }

    /// An SPDX identifier made of the characters SPDX allows (letters, digits, `.` and `-`).
    public static func identifier(_ prefix: String, _ parts: String...) -> String {
        let body = parts.joined(separator: "-").map { c -> Character in
            (c.isASCII && (c.isLetter || c.isNumber)) || c == "." || c == "-" ? c : "-"
        }
        return "SPDXRef-\(prefix)-" + String(body)
    }

    /// The sha256 of every package (by `packageFileName`) and file (by name) that carries one.
    public func sha256ByFileName() -> [(name: String, sha256: String)] {
        var out: [(String, String)] = []
        for package in packages {
            if let file = package.packageFileName, let sum = package.checksums?.first(where: { $0.algorithm == "SHA256" }) {
                out.append((file, sum.checksumValue))
            }
        }
        for file in files ?? [] {
            if let sum = file.checksums.first(where: { $0.algorithm == "SHA256" }) { out.append((file.fileName, sum.checksumValue)) }
        }
        return out
    }
}
