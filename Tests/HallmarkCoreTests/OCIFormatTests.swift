import Foundation
import HallmarkCore
import Testing

@Suite("OCI references, manifests, Docker config and auth challenges")
struct OCIFormatTests {
    @Test func referencesParse() throws {
        let plain = try OCIReference(parsing: "oci://registry.example.com/acme/greet")
        #expect(plain.registry == "registry.example.com" && plain.repository == "acme/greet" && plain.tag == nil && plain.digest == nil)
        let tagged = try OCIReference(parsing: "oci://127.0.0.1:5000/greet:v1.0.0")
        #expect(tagged.registry == "127.0.0.1:5000" && tagged.tag == "v1.0.0" && tagged.reference == "v1.0.0")
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let pinned = try OCIReference(parsing: "oci://localhost:5000/a/b-c/d__e:stable@" + digest)
        #expect(pinned.tag == "stable" && pinned.digest == digest && pinned.reference == digest)
        #expect(pinned.description == "oci://localhost:5000/a/b-c/d__e:stable@" + digest)
        #expect(tagged.pinned(to: digest).description == "oci://127.0.0.1:5000/greet:v1.0.0@" + digest)
    }

    @Test(arguments: [
        "https://example.com/greet", "oci://example.com", "oci://example.com/", "oci://example.com/Greet",
        "oci://example.com/greet-", "oci://example.com/a//b", "oci://example.com/greet:", "oci://example.com/greet:-x",
        "oci://example.com/greet:" + String(repeating: "a", count: 129), "oci://example.com/greet@sha256:abc",
        "oci://example.com/greet@md5:" + String(repeating: "a", count: 32), "oci://exa mple.com/greet", "oci://example.com:99999/greet",
        "oci://example.com/a...b",
    ])
    func badReferencesAreRefused(_ text: String) {
        #expect(throws: HallmarkError.usage("")) { try OCIReference(parsing: text) }
    }

    @Test func versionsBecomeTags() {
        #expect(OCIReference.tag(forVersion: "v1.2.3") == "v1.2.3")
        #expect(OCIReference.tag(forVersion: "1.2.3-rc.1+build.7") == "1.2.3-rc.1_build.7")
        #expect(OCIReference.tag(forVersion: "../x") == nil)
    }

    @Test func manifestsEncodeSortedWithoutEmptyFields() throws {
        let layer = OCIDescriptor(mediaType: OCIManifest.mediaType(forFile: "a.tar.gz"), digest: "sha256:" + String(repeating: "1", count: 64), size: 3,
                                  annotations: [OCIManifest.titleAnnotation: "a.tar.gz"])
        let manifest = OCIManifest(artifactType: OCIManifest.releaseArtifactType, config: OCIManifest.emptyConfig, layers: [layer], annotations: nil)
        let text = String(decoding: try CanonicalJSON.canonicalData(manifest), as: UTF8.self)
        #expect(text == #"{"artifactType":"application/vnd.hallmark.release.v1","config":{"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","mediaType":"application/vnd.oci.empty.v1+json","size":2},"layers":[{"annotations":{"org.opencontainers.image.title":"a.tar.gz"},"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","mediaType":"application/gzip","size":3}],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}"#)
        let parsed = try OCIManifest(parsing: Data(text.utf8), source: "m")
        #expect(parsed == manifest)
    }

    @Test func mediaTypesByName() {
        #expect(OCIManifest.mediaType(forFile: "sbom.spdx.json") == "application/spdx+json")
        #expect(OCIManifest.mediaType(forFile: "index.json") == "application/json")
        #expect(OCIManifest.mediaType(forFile: "provenance.intoto.jsonl") == "application/vnd.dsse.envelope.v1+json")
        #expect(OCIManifest.mediaType(forFile: "a.sigstore.json") == "application/vnd.dev.sigstore.bundle.v0.3+json")
        #expect(OCIManifest.mediaType(forFile: "X.ZIP") == "application/zip")
        #expect(OCIManifest.mediaType(forFile: "greet.exe") == "application/octet-stream")
    }

    @Test func layerTitlesAreCheckedBeforeUse() throws {
        func layer(_ title: String?) -> OCIDescriptor {
            OCIDescriptor(mediaType: "text/plain", digest: "sha256:" + String(repeating: "2", count: 64), size: 1,
                          annotations: title.map { [OCIManifest.titleAnnotation: $0] })
        }
        let manifest = OCIManifest(artifactType: nil, config: OCIManifest.emptyConfig,
                                   layers: [layer("ok.txt"), layer(nil), layer("../escape"), layer("/etc/passwd"), layer("ok.txt")], annotations: nil)
        let (files, problems) = manifest.files()
        #expect(files.map(\.name) == ["ok.txt"])
        #expect(problems.count == 4)
        #expect(problems.contains { $0.contains("two layers are titled \"ok.txt\"") })
        #expect(throws: HallmarkError.invalidInput("")) {
            try OCIManifest(parsing: Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","config":{"mediaType":"a","digest":"b","size":1},"layers":[]}"#.utf8), source: "x")
        }
        #expect(throws: HallmarkError.invalidInput("")) { try OCIManifest(parsing: Data("not json".utf8), source: "x") }
    }

    @Test func dockerConfigCredentials() throws {
        let config = try DockerConfig(parsing: Data("""
            {"auths": {"https://registry.example.com/v1/": {"auth": "\(Data("alice:pa:ss".utf8).base64EncodedString())"},
                       "127.0.0.1:5000": {"username": "bob", "password": "pw"},
                       "token.example": {"identitytoken": "abc"}},
             "credHelpers": {"ghcr.io": "gh"}, "credsStore": "desktop"}
            """.utf8), source: "config.json")
        #expect(config.entry(for: "registry.example.com")?.username == "alice")
        #expect(config.entry(for: "registry.example.com")?.password == "pa:ss")
        #expect(config.entry(for: "127.0.0.1:5000")?.password == "pw")
        #expect(config.entry(for: "token.example")?.identityToken == "abc")
        #expect(config.entry(for: "other.example") == nil)
        #expect(config.helper(for: "ghcr.io") == "gh")
        #expect(config.helper(for: "other.example") == "desktop")
        #expect(throws: HallmarkError.invalidInput("")) {
            try DockerConfig(parsing: Data(#"{"auths":{"x":{"auth":"bm9jb2xvbg=="}}}"#.utf8), source: "config.json")  // "nocolon"
        }
        #expect(throws: HallmarkError.invalidInput("")) { try DockerConfig(parsing: Data("[1]".utf8), source: "config.json") }
    }

    @Test func challengesParse() {
        let bearer = AuthenticationChallenge(parsing: #"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push""#)
        #expect(bearer.scheme == "Bearer")
        #expect(bearer.parameters == ["realm": "https://auth.example.com/token", "service": "registry.example.com", "scope": "repository:a/b:pull,push"])
        let basic = AuthenticationChallenge(parsing: #"Basic realm="say \"hi\"""#)
        #expect(basic.scheme == "Basic" && basic.parameters["realm"] == #"say "hi""#)
        let bare = AuthenticationChallenge(parsing: "Basic")
        #expect(bare.scheme == "Basic" && bare.parameters.isEmpty)
        let unquoted = AuthenticationChallenge(parsing: "Bearer realm=https://a/token, service=reg")
        #expect(unquoted.parameters["realm"] == "https://a/token" && unquoted.parameters["service"] == "reg")
    }
}

@Suite struct OriginTests {
    @Test func originsCompareSchemeHostAndPort() {
        #expect(Origin(url: "https://registry.example.com/v2/x") == Origin(url: "https://REGISTRY.example.com:443/v2/y"))
        #expect(Origin(url: "http://127.0.0.1:5000/v2/") == Origin(url: "http://127.0.0.1:5000"))
        #expect(Origin(url: "https://registry.example.com") != Origin(url: "http://registry.example.com"))
        #expect(Origin(url: "https://registry.example.com") != Origin(url: "https://registry.example.com:5000"))
        #expect(Origin(url: "https://registry.example.com") != Origin(url: "https://registry.example.com.evil.net"))
        #expect(Origin(url: "https://user:pass@registry.example.com/x")?.host == "registry.example.com")
        #expect(Origin(url: "http://[::1]:8080/x")?.port == 8080)
        for bad in ["ftp://x", "registry.example.com", "https://", "https://x:notaport/", "https://x:70000"] { #expect(Origin(url: bad) == nil, "\(bad)") }
        #expect(Origin(url: "http://127.0.0.1:5000")?.isLoopback == true)
        #expect(Origin(url: "http://localhost")?.isLoopback == true)
        #expect(Origin(url: "http://127.0.0.1.evil.net")?.isLoopback == false)
        #expect(Origin(url: "http://10.0.0.1")?.isLoopback == false)
        for name in ["127.0.0.attacker", "127.x.evil.com", "127.0.0.1.", "127.0.0.256", "127.0.0.0001", "127.1", "127.0.0.08", "127.0.0.01", "0127.0.0.1"] {
            #expect(Origin(url: "http://\(name):8080/token")?.isLoopback == false, "\(name)")
        }
        #expect(Origin(url: "http://127.12.0.9/token")?.isLoopback == true)
        #expect(Origin(url: "http://[::1]:8080/token")?.isLoopback == true)
    }

    @Test func locationsResolve() {
        let base = "https://r.example.com/v2/acme/greet/blobs/uploads/"
        #expect(Origin.resolve("/v2/acme/greet/blobs/uploads/abc?state=1", against: base) == "https://r.example.com/v2/acme/greet/blobs/uploads/abc?state=1")
        #expect(Origin.resolve("abc", against: base) == "https://r.example.com/v2/acme/greet/blobs/uploads/abc")
        #expect(Origin.resolve("https://blobs.example.net/x", against: base) == "https://blobs.example.net/x")
        #expect(Origin.resolve("//evil.example/x", against: base) == nil)
        #expect(Origin.resolve("javascript:alert(1)", against: base) == "https://r.example.com/v2/acme/greet/blobs/uploads/javascript:alert(1)")
    }
}
