import Foundation
import HallmarkCore
import HallmarkTestSupport
import Testing

@Suite("Semantic versions, platforms and templates")
struct ReleaseFormatTests {
    @Test("semver 2.0: valid forms parse, invalid ones name the rule they break")
    func semver() throws {
        for text in ["1.0.0", "v1.4.0", "0.0.1-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "v10.20.30-rc.1+build.7"] {
            let version = try SemanticVersion(parsing: text)
            #expect(version.description == text)
        }
        for (text, rule) in [("1.0", "three numbers"), ("01.0.0", "leading zero"), ("1.0.0-01", "leading zero"), ("1.0.0-", "empty"), ("1.0.0+a..b", "empty"), ("v1.x.0", "not a number"), ("1.0.0-al_pha", "[0-9A-Za-z-]"), ("version1", "three numbers")] {
            #expect {
                try SemanticVersion(parsing: text)
            } throws: { error in
                (error as? HallmarkError)?.message.contains(rule) == true && (error as? HallmarkError)?.message.contains(text) == true
            }
        }
        #expect(try SemanticVersion(parsing: "v1.4.0").bare == "1.4.0")
    }

    @Test("semver precedence follows §11 of the specification")
    func precedence() throws {
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"]
        let versions = try ordered.map { try SemanticVersion(parsing: $0) }
        for (a, b) in zip(versions, versions.dropFirst()) { #expect(a < b, "\(a) < \(b)") }
        #expect(try SemanticVersion(parsing: "1.0.0+a") == (try SemanticVersion(parsing: "v1.0.0+b")))
    }

    @Test("platforms: Go names, with suggestions for common other spellings")
    func platforms() throws {
        let p = try Platform(parsing: "windows/amd64")
        #expect(p.slug == "windows_amd64" && p.executableSuffix == ".exe")
        for (text, hint) in [("linux/x86_64", "amd64"), ("macos/arm64", "darwin"), ("linx/amd64", "linux"), ("linux", "os/arch")] {
            #expect {
                try Platform(parsing: text)
            } throws: { error in
                (error as? HallmarkError)?.message.contains(hint) == true
            }
        }
    }

    @Test("templates fill {{ name }} and refuse unknown names with a suggestion")
    func templates() throws {
        let template = TemplateString("{{ project }}_{{.version}}_{{os}}-{{ arch }}")
        #expect(try template.render(["project": "greet", "version": "v1", "os": "linux", "arch": "amd64"], source: "t") == "greet_v1_linux-amd64")
        #expect(try template.variables() == ["project", "version", "os", "arch"])
        #expect {
            try TemplateString("{{ verison }}").render(["version": "v1"], source: "hallmark.yml")
        } throws: { error in
            (error as? HallmarkError)?.message.contains("did you mean \"{{ version }}\"") == true
        }
        #expect(throws: HallmarkError.invalidInput("")) { try TemplateString("{{ open").render([:], source: "t") }
    }

    @Test("SPDX 2.3: the specification's example decodes with its file checksums")
    func spdxExample() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.conformance("spdx-spec/SPDXJSONExample-v2.3.spdx.json")))
        let document = try CanonicalJSON.decode(SPDXDocument.self, from: data, source: "example")
        #expect(document.spdxVersion == "SPDX-2.3")
        #expect(!document.packages.isEmpty)
        #expect(document.sha256ByFileName().map(\.name) == ["glibc-2.11.1.tar.gz"])
    }
}

@Suite("Lockfiles: each format read into purls, malformed ones refused with a line")
struct LockfileTests {
    func parse(_ name: String, _ text: String) throws -> [LockedDependency] {
        try Lockfiles.parse(Data(text.utf8), name: name, source: name)
    }

    @Test func swiftPackageResolved() throws {
        let v2 = """
            {"pins":[{"identity":"swift-argument-parser","kind":"remoteSourceControl","location":"https://github.com/apple/swift-argument-parser","state":{"revision":"41982a3656a71c768319979febd796c6fd111d5c","version":"1.8.2"}},
            {"identity":"yams","kind":"remoteSourceControl","location":"https://github.com/jpsim/Yams.git","state":{"revision":"3d6871d5b4a5cd519adf233fbb576e0a2af71c17","version":"6.2.2"}}],"version":2}
            """
        let deps = try parse("Package.resolved", v2)
        #expect(deps.map(\.purl) == ["pkg:swift/github.com/apple/swift-argument-parser@1.8.2", "pkg:swift/github.com/jpsim/Yams@6.2.2"])
        #expect(deps[0].supplier == "Organization: apple")
        #expect(deps[0].downloadLocation == "git+https://github.com/apple/swift-argument-parser@41982a3656a71c768319979febd796c6fd111d5c")
        let v1 = """
            {"object":{"pins":[{"package":"Version","repositoryURL":"https://github.com/mxcl/Version.git","state":{"branch":null,"revision":"1fe824b80d89201652e7eca7c9252269a1d85e25","version":"2.2.1"}}]},"version":1}
            """
        #expect(try parse("Package.resolved", v1).map(\.purl) == ["pkg:swift/github.com/mxcl/Version@2.2.1"])
        #expect(throws: HallmarkError.invalidInput("")) { try parse("Package.resolved", "{\"version\": 9, \"pins\": []}") }
    }

    @Test func go() throws {
        let mod = """
            module example.com/tool

            go 1.22

            require (
            \tgithub.com/spf13/cobra v1.8.0
            \tgolang.org/x/sys v0.20.0 // indirect
            )

            require github.com/google/uuid v1.6.0
            """
        let deps = try parse("go.mod", mod)
        #expect(deps.map(\.purl) == ["pkg:golang/github.com/spf13/cobra@v1.8.0", "pkg:golang/golang.org/x/sys@v0.20.0", "pkg:golang/github.com/google/uuid@v1.6.0"])
        let sum = "github.com/spf13/cobra v1.8.0 h1:abc=\ngithub.com/spf13/cobra v1.8.0/go.mod h1:def=\n"
        #expect(try parse("go.sum", sum).map(\.purl) == ["pkg:golang/github.com/spf13/cobra@v1.8.0"])
        #expect {
            try parse("go.mod", "module x\nrequire (\n  only-one-field\n)\n")
        } throws: { ($0 as? HallmarkError)?.message.hasPrefix("go.mod:3:") == true }
    }

    @Test func cargo() throws {
        let lock = """
            # This file is automatically @generated by Cargo.
            version = 4

            [[package]]
            name = "demo"
            version = "0.1.0"
            dependencies = [
             "itoa",
            ]

            [[package]]
            name = "itoa"
            version = "1.0.11"
            source = "registry+https://github.com/rust-lang/crates.io-index"
            checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
            """
        let deps = try parse("Cargo.lock", lock)
        #expect(deps.map(\.purl) == ["pkg:cargo/itoa@1.0.11"])
        #expect(deps[0].digest["sha256"] == "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b")
        #expect(deps[0].supplier == "Organization: crates.io")
        #expect {
            try parse("Cargo.lock", "[[package]]\nname = \"x\"\nversion = \"1\"\nthis line is not toml\n")
        } throws: { ($0 as? HallmarkError)?.message.hasPrefix("Cargo.lock:4:") == true }
        #expect {
            try parse("Cargo.lock", "[[package]]\nname = \"x\"\ndependencies = [\n \"a\",\n")
        } throws: { ($0 as? HallmarkError)?.message.contains("unterminated") == true }
    }

    @Test func npm() throws {
        let v3 = """
            {"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},
            "node_modules/@types/node":{"version":"20.1.0","resolved":"https://registry.npmjs.org/@types/node/-/node-20.1.0.tgz","integrity":"sha512-AAAA"},
            "node_modules/lodash":{"version":"4.17.21"}}}
            """
        let deps = try parse("package-lock.json", v3)
        #expect(deps.map(\.purl) == ["pkg:npm/%40types/node@20.1.0", "pkg:npm/lodash@4.17.21"])
        let v1 = #"{"lockfileVersion":1,"dependencies":{"left-pad":{"version":"1.3.0","dependencies":{"x":{"version":"0.1.0"}}}}}"#
        #expect(try parse("package-lock.json", v1).map(\.purl) == ["pkg:npm/left-pad@1.3.0", "pkg:npm/x@0.1.0"])
        #expect(throws: HallmarkError.invalidInput("")) { try parse("package-lock.json", "{\"lockfileVersion\": 3,") }
    }

    @Test func python() throws {
        let requirements = """
            # pinned
            Requests==2.31.0 \\
                --hash=sha256:abc
            charset_normalizer[unicode]==3.3.2 ; python_version >= "3.8"
            -r other.txt
            flask>=2
            """
        let deps = try parse("requirements.txt", requirements)
        #expect(deps.map(\.purl) == ["pkg:pypi/requests@2.31.0", "pkg:pypi/charset-normalizer@3.3.2", "pkg:pypi/flask"])
        #expect {
            try parse("requirements-dev.txt", "ok==1.0\n!!! nonsense\n")
        } throws: { ($0 as? HallmarkError)?.message.hasPrefix("requirements-dev.txt:2:") == true }
        let poetry = """
            [[package]]
            name = "idna"
            version = "3.7"
            description = "Internationalized Domain Names"
            optional = false
            files = [
                {file = "idna-3.7.tar.gz", hash = "sha256:abc"},
            ]

            [metadata]
            lock-version = "2.0"
            """
        #expect(try parse("poetry.lock", poetry).map(\.purl) == ["pkg:pypi/idna@3.7"])
        let uv = """
            version = 1
            requires-python = ">=3.11"

            [[package]]
            name = "app"
            version = "0.1.0"
            source = { editable = "." }

            [[package]]
            name = "Six"
            version = "1.16.0"
            source = { registry = "https://pypi.org/simple" }
            wheels = [
                { url = "https://files.example/six.whl", hash = "sha256:abc" },
            ]
            """
        #expect(try parse("uv.lock", uv).map(\.purl) == ["pkg:pypi/six@1.16.0"])
    }
}
