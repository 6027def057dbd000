import Foundation
import HallmarkTestSupport
import Testing

/// The `oras` Python client (oras-py), driven from tests: log in (writing a Docker config file), push files,
/// pull a manifest's files into a directory by their titles.
enum Oras {
    static let script = """
        import json, os, sys, oras.client
        action, host, target, config = sys.argv[1:5]
        rest = sys.argv[5:]
        client = oras.client.OrasClient(hostname=host, insecure=True, auth_backend="basic")
        if action == "login":
            client.login(username=rest[0], password=rest[1], hostname=host, tls_verify=False, config_path=config)
        elif action == "pull":
            client.login(username=rest[1], password=rest[2], hostname=host, tls_verify=False, config_path=config)
            print(len(client.pull(target=target, outdir=rest[0])))
        elif action == "push":
            client.login(username=rest[1], password=rest[2], hostname=host, tls_verify=False, config_path=config)
            os.chdir(rest[0])
            response = client.push(target=target, files=sorted(os.listdir(".")))
            print(response.status_code)
        """

    @discardableResult
    static func run(_ action: String, registry: RegistryFixture, target: String, config: String, _ rest: [String]) throws -> ProcessOutput {
        let credentials = registry.credentials.map { [$0.user, $0.password] } ?? ["", ""]
        let extra = action == "login" ? credentials : rest + credentials
        return try ProcessRunner.run("python3", ["-c", script, action, registry.host, target, config] + extra)
    }
}

@Suite("publish to and verify from a real OCI registry (docker-registry, skopeo, oras)", .serialized)
struct OCIRegistryTests {
    static let user = (user: "release-bot", password: "correct horse battery staple")

    /// The sha256 of the manifest a tag names, as skopeo (a tool we did not write) reads it.
    static func skopeoDigest(_ registry: RegistryFixture, _ reference: String) throws -> String? {
        var arguments = ["inspect", "--raw", "--tls-verify=false"]
        if let credentials = registry.credentials { arguments += ["--creds", "\(credentials.user):\(credentials.password)"] }
        let raw = try ProcessRunner.run("skopeo", arguments + ["docker://\(registry.host)/\(reference)"])
        guard raw.status == 0 else { return nil }
        let sum = try ProcessRunner.run("sha256sum", [], stdin: raw.stdoutData)
        return "sha256:" + (sum.stdout.split(separator: " ").first.map(String.init) ?? "")
    }

    @Test func publishedReleaseIsOneReproducibleManifestThatOtherToolsRead() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let registry = try RegistryFixture(credentials: Self.user)
        // Credentials come from a Docker config file that oras's login wrote.
        let config = project.dir.url("docker/config.json")
        try FileManager.default.createDirectory(atPath: project.dir.url("docker"), withIntermediateDirectories: true)
        let login = try Oras.run("login", registry: registry, target: "", config: config, [])
        #expect(login.status == 0, "\(login.stderr)")
        let env = ["DOCKER_CONFIG": project.dir.url("docker")]

        let publish = try project.hallmark(["publish", "dist/v1.0.0", "--to", "oci://\(registry.host)/acme/greet", "--plain-http", "--format", "json"], environment: env)
        #expect(publish.status == 0, "\(publish.stderr)")
        let result = try JSONSerialization.jsonObject(with: publish.stdoutData) as? [String: Any] ?? [:]
        let digest = try #require(result["manifestDigest"] as? String)
        #expect(result["uploaded"] as? Int == 28)  // 27 files and the empty config
        let url = String(decoding: try project.dir.read("greet/dist/release-url.txt"), as: UTF8.self)
        #expect(url == "oci://\(registry.host)/acme/greet:v1.0.0@\(digest)\n")

        // skopeo reads the same bytes under the version tag; the manifest is the documented shape.
        #expect(try Self.skopeoDigest(registry, "acme/greet:v1.0.0") == digest)
        let raw = try ProcessRunner.run("skopeo", ["inspect", "--raw", "--tls-verify=false", "--creds", "\(Self.user.user):\(Self.user.password)",
                                                   "docker://\(registry.host)/acme/greet:v1.0.0"])
        let manifest = try JSONSerialization.jsonObject(with: raw.stdoutData) as? [String: Any] ?? [:]
        #expect(manifest["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        #expect(manifest["artifactType"] as? String == "application/vnd.hallmark.release.v1")
        let configDescriptor = manifest["config"] as? [String: Any] ?? [:]
        #expect(configDescriptor["mediaType"] as? String == "application/vnd.oci.empty.v1+json")
        #expect(configDescriptor["digest"] as? String == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        let layers = manifest["layers"] as? [[String: Any]] ?? []
        let titles = layers.compactMap { ($0["annotations"] as? [String: String])?["org.opencontainers.image.title"] }
        let files = try FileManager.default.contentsOfDirectory(atPath: project.release).sorted()
        #expect(titles == files)
        let types = Dictionary(uniqueKeysWithValues: layers.map { (($0["annotations"] as? [String: String])?["org.opencontainers.image.title"] ?? "", $0["mediaType"] as? String ?? "") })
        #expect(types["sbom.spdx.json"] == "application/spdx+json")
        #expect(types["greet_1.0.0_windows_amd64.zip"] == "application/zip")
        #expect(types["greet_1.0.0_linux_amd64.tar.gz"] == "application/gzip")
        // Release time, never the clock: the annotation is the release's source date.
        let annotations = manifest["annotations"] as? [String: String] ?? [:]
        let index = try project.json("index.json")
        #expect(annotations["org.opencontainers.image.created"] == index["sourceDate"] as? String)

        // Reproducible: the same release pushed again elsewhere has the same digest; pushing it again is a no-op.
        let again = try project.hallmark(["publish", "dist/v1.0.0", "--to", "oci://\(registry.host)/mirror/greet:stable", "--plain-http", "--out", project.dir.url("again")], environment: env)
        #expect(again.status == 0 && again.stdout.contains(digest), "\(again.stderr)")
        let same = try project.hallmark(["publish", "dist/v1.0.0", "--to", "oci://\(registry.host)/acme/greet", "--plain-http", "--out", project.dir.url("again")], environment: env)
        #expect(same.status == 0 && same.stdout.contains("already published"), "\(same.stdout)")

        // skopeo copies it; oras pulls each file by its title, and sha256sum -c and hallmark verify accept them.
        let copy = try ProcessRunner.run("skopeo", ["copy", "-q", "--src-tls-verify=false", "--src-creds", "\(Self.user.user):\(Self.user.password)",
                                                    "docker://\(registry.host)/acme/greet:v1.0.0", "dir:" + project.dir.url("skopeo")])
        #expect(copy.status == 0, "\(copy.stderr)")
        for layer in layers {
            let blob = ((layer["digest"] as? String) ?? "").replacingOccurrences(of: "sha256:", with: "")
            #expect(project.dir.exists("skopeo/" + blob))
        }
        let pulled = try Oras.run("pull", registry: registry, target: "\(registry.host)/acme/greet:v1.0.0", config: config, [project.dir.url("oras")])
        #expect(pulled.status == 0 && pulled.stdout.contains("27"), "\(pulled.stderr)")
        let check = try ProcessRunner.run("sha256sum", ["-c", "--strict", "checksums.txt"], in: project.dir.url("oras"))
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(try ProcessRunner.hallmark(["verify", project.dir.url("oras"), "--key", project.dir.url("release.pub")]).status == 0)

        // verify-remote by tag and by digest; the report names the manifest digest.
        let key = project.dir.url("release.pub")
        for reference in ["oci://\(registry.host)/acme/greet:v1.0.0", "oci://\(registry.host)/acme/greet@\(digest)"] {
            let remote = try ProcessRunner.hallmark(["verify-remote", reference, "--plain-http", "--key", key, "--report-dir", project.dir.url("reports")], environment: env)
            #expect(remote.status == 0, "\(reference): \(remote.stdout)\(remote.stderr)")
            let report = try JSONSerialization.jsonObject(with: project.dir.read("reports/remote-verify.json")) as? [String: Any]
            #expect(report?["manifestDigest"] as? String == digest)
        }
        // The published listing covers the release.
        let summary = try project.hallmark(["summary", "dist/v1.0.0", "--remote-assets", "dist/release-assets.txt", "--out", project.dir.url("summary")])
        #expect(summary.status == 0, "\(summary.stderr)")
        // A digest the registry does not hold, and no credentials at all, are refused with one line.
        let absent = try ProcessRunner.hallmark(["verify-remote", "oci://\(registry.host)/acme/greet@sha256:" + String(repeating: "0", count: 64), "--plain-http", "--key", key], environment: env)
        #expect(absent.status == 1 && absent.stderr.contains("no such manifest"), "\(absent.stderr)")
        let anonymous = try ProcessRunner.hallmark(["verify-remote", "oci://\(registry.host)/acme/greet:v1.0.0", "--plain-http", "--key", key],
                                                   environment: ["DOCKER_CONFIG": project.dir.url("nowhere")])
        #expect(anonymous.status == 2 && anonymous.stderr.contains("asks for credentials"), "\(anonymous.stderr)")
    }

    @Test func tagsMoveOnlyWithForceAndRefusedPushesChangeNothing() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let registry = try RegistryFixture(credentials: Self.user)
        let config = project.dir.url("docker/config.json")
        try FileManager.default.createDirectory(atPath: project.dir.url("docker"), withIntermediateDirectories: true)
        #expect(try Oras.run("login", registry: registry, target: "", config: config, []).status == 0)
        let env = ["DOCKER_CONFIG": project.dir.url("docker")]
        let target = "oci://\(registry.host)/acme/greet"
        #expect(try project.hallmark(["publish", "dist/v1.0.0", "--to", target, "--plain-http", "-q"], environment: env).status == 0)
        let original = try #require(try Self.skopeoDigest(registry, "acme/greet:v1.0.0"))

        // A changed copy of the release (its notes edited after signing) under the same version.
        let changed = project.dir.url("changed/v1.0.0")
        try FileManager.default.createDirectory(atPath: project.dir.url("changed"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: project.release, toPath: changed)
        let notes = changed + "/release-notes.md"
        try (String(contentsOfFile: notes, encoding: .utf8) + "\nInstall from http://evil.example/\n").write(toFile: notes, atomically: true, encoding: .utf8)

        let refused = try project.hallmark(["publish", changed, "--to", target, "--plain-http", "-q"], environment: env)
        #expect(refused.status == 2 && refused.stderr.contains("pass --force"), "\(refused.stderr)")
        #expect(try Self.skopeoDigest(registry, "acme/greet:v1.0.0") == original)

        // Wrong credentials: refused, with the registry's words, and the tag stays.
        let wrong = try ProcessRunner.hallmark(["publish", changed, "--to", target, "--plain-http", "--force", "-q", "--username", Self.user.user, "--password-stdin"],
                                               in: project.root, environment: env, stdin: Data("wrong\n".utf8))
        #expect(wrong.status == 2 && wrong.stderr.contains("401"), "\(wrong.stderr)")
        #expect(wrong.stderr.split(separator: "\n").filter { $0.hasPrefix("hallmark: error:") }.count == 1)
        #expect(try Self.skopeoDigest(registry, "acme/greet:v1.0.0") == original)

        // A registry that refuses writes (read-only maintenance mode): the push fails, the tag stays.
        try registry.restart(readOnly: true)
        let readOnly = try project.hallmark(["publish", changed, "--to", target, "--plain-http", "--force", "-q"], environment: env)
        #expect(readOnly.status == 2 && readOnly.stderr.contains("405"), "\(readOnly.stderr)")
        #expect(try Self.skopeoDigest(registry, "acme/greet:v1.0.0") == original)
        try registry.restart(readOnly: false)

        // With --force the tag moves, and verify-remote catches what changed.
        let forced = try project.hallmark(["publish", changed, "--to", target, "--plain-http", "--force", "-q", "--out", project.dir.url("forced")], environment: env)
        #expect(forced.status == 0 && forced.stdout.contains("republished"), "\(forced.stderr)")
        #expect(try Self.skopeoDigest(registry, "acme/greet:v1.0.0") != original)
        let remote = try ProcessRunner.hallmark(["verify-remote", target + ":v1.0.0", "--plain-http", "--key", project.dir.url("release.pub"),
                                                 "--report-dir", project.dir.url("reports")], environment: env)
        #expect(remote.status == 1 && remote.stdout.contains("release-notes.md"), "\(remote.stdout)\(remote.stderr)")
        // The original is still there by digest.
        let pinned = try ProcessRunner.hallmark(["verify-remote", "oci://\(registry.host)/acme/greet@\(original)", "--plain-http", "--key", project.dir.url("release.pub"),
                                                 "--report-dir", project.dir.url("reports")], environment: env)
        #expect(pinned.status == 0, "\(pinned.stdout)\(pinned.stderr)")
    }

    @Test func releasesPushedByOrasVerifyAndSwapsAreNamed() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let registry = try RegistryFixture(credentials: Self.user)
        let config = project.dir.url("oras.json")
        let key = project.dir.url("release.pub")
        let pushed = try Oras.run("push", registry: registry, target: "\(registry.host)/greet:v1.0.0", config: config, [project.release])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        // Credentials from the file oras's login wrote, named with --registry-config.
        let ok = try ProcessRunner.hallmark(["verify-remote", "oci://\(registry.host)/greet:v1.0.0", "--plain-http", "--registry-config", config,
                                             "--key", key, "--report-dir", project.dir.url("reports")])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")

        // The same files with one archive swapped for another target's.
        let swapped = project.dir.url("swapped")
        try FileManager.default.copyItem(atPath: project.release, toPath: swapped)
        try FileManager.default.removeItem(atPath: swapped + "/greet_1.0.0_linux_amd64.tar.gz")
        try FileManager.default.copyItem(atPath: swapped + "/greet_1.0.0_linux_arm64.tar.gz", toPath: swapped + "/greet_1.0.0_linux_amd64.tar.gz")
        #expect(try Oras.run("push", registry: registry, target: "\(registry.host)/greet:swapped", config: config, [swapped]).status == 0)
        let bad = try ProcessRunner.hallmark(["verify-remote", "oci://\(registry.host)/greet:swapped", "--plain-http", "--registry-config", config,
                                              "--key", key, "--report-dir", project.dir.url("reports")])
        #expect(bad.status == 1 && bad.stdout.contains("greet_1.0.0_linux_amd64.tar.gz"), "\(bad.stdout)\(bad.stderr)")
    }

    @Test func credentialHelpersAreAsked() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let registry = try RegistryFixture(credentials: Self.user)
        // A credential helper speaks the docker-credential-helpers protocol: the server on stdin, JSON out.
        let helper = try project.dir.write("bin/docker-credential-hallmark-test", """
            #!/bin/sh
            read server
            [ "$1" = get ] || exit 1
            if [ "$server" = "\(registry.host)" ]; then
              printf '{"ServerURL":"%s","Username":"\(Self.user.user)","Secret":"\(Self.user.password)"}' "$server"
            else
              echo "credentials not found in native keychain"; exit 1
            fi
            """)
        chmod(helper, 0o755)
        _ = try project.dir.write("docker/config.json", #"{"credsStore": "hallmark-test"}"#)
        let env = ["DOCKER_CONFIG": project.dir.url("docker"), "PATH": project.dir.url("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        let publish = try project.hallmark(["publish", "dist/v1.0.0", "--to", "oci://\(registry.host)/greet", "--plain-http", "-q"], environment: env)
        #expect(publish.status == 0, "\(publish.stderr)")
        #expect(try Self.skopeoDigest(registry, "greet:v1.0.0") != nil)
        // A config naming a helper that is not installed says so.
        _ = try project.dir.write("docker/config.json", #"{"credHelpers": {"\#(registry.host)": "absent"}}"#)
        let missing = try project.hallmark(["publish", "dist/v1.0.0", "--to", "oci://\(registry.host)/greet", "--plain-http", "-q"], environment: env)
        #expect(missing.status == 2 && missing.stderr.contains("docker-credential-absent"), "\(missing.stderr)")
    }

    @Test func bearerTokensFromATokenService() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let tokens = try TokenServiceFixture(credentials: Self.user)
        let registry = try RegistryFixture(tokens: tokens)
        let env = ["DOCKER_CONFIG": project.dir.url("docker")]
        let password = Data((Self.user.password + "\n").utf8)
        let target = "oci://\(registry.host)/acme/greet"
        let publish = try ProcessRunner.hallmark(["publish", "dist/v1.0.0", "--to", target, "--plain-http", "-q", "--username", Self.user.user, "--password-stdin"],
                                                 in: project.root, environment: env, stdin: password)
        #expect(publish.status == 0, "\(publish.stderr)")
        // skopeo, logging in through the same token service, reads the tag.
        #expect(try Self.skopeoDigest(registry, "acme/greet:v1.0.0") != nil)
        let verify = try ProcessRunner.hallmark(["verify-remote", target + ":v1.0.0", "--plain-http", "--key", project.dir.url("release.pub"),
                                                 "--report-dir", project.dir.url("reports"), "--username", Self.user.user, "--password-stdin"],
                                                environment: env, stdin: password)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let refused = try ProcessRunner.hallmark(["verify-remote", target + ":v1.0.0", "--plain-http", "--key", project.dir.url("release.pub"),
                                                  "--username", Self.user.user, "--password-stdin"], environment: env, stdin: Data("guess\n".utf8))
        #expect(refused.status == 2 && refused.stderr.contains("token service") && refused.stderr.contains("refused"), "\(refused.stderr)")

        // An identity token in the Docker config (as `docker login` keeps one for OAuth2 registries) is spent
        // in the refresh-token flow, and a wrong one is named as such.
        _ = try project.dir.write("docker/config.json", #"{"auths": {"\#(registry.host)": {"identitytoken": "\#(Self.user.password)"}}}"#)
        let oauth = try ProcessRunner.hallmark(["verify-remote", target + ":v1.0.0", "--plain-http", "--key", project.dir.url("release.pub"),
                                                "--report-dir", project.dir.url("reports")], environment: env)
        #expect(oauth.status == 0, "\(oauth.stdout)\(oauth.stderr)")
        _ = try project.dir.write("docker/config.json", #"{"auths": {"\#(registry.host)": {"identitytoken": "expired"}}}"#)
        let expired = try ProcessRunner.hallmark(["verify-remote", target + ":v1.0.0", "--plain-http", "--key", project.dir.url("release.pub")], environment: env)
        #expect(expired.status == 2 && expired.stderr.contains("refused the identity token"), "\(expired.stderr)")
    }

    @Test func httpsWithAPrivateCA() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let registry = try RegistryFixture(tls: true)
        let ca = try #require(registry.caCertificate)
        let env = ["DOCKER_CONFIG": project.dir.url("docker")]
        let target = "oci://\(registry.host)/acme/greet"
        // HTTPS is the default; a certificate from an unknown CA is refused, and the message says what to pass.
        let untrusted = try project.hallmark(["publish", "dist/v1.0.0", "--to", target, "-q"], environment: env)
        #expect(untrusted.status == 2 && untrusted.stderr.contains("not trusted") && untrusted.stderr.contains("--ca-file"), "\(untrusted.stderr)")
        let publish = try project.hallmark(["publish", "dist/v1.0.0", "--to", target, "-q", "--ca-file", ca, "--format", "json"], environment: env)
        #expect(publish.status == 0, "\(publish.stderr)")
        let digest = (try JSONSerialization.jsonObject(with: publish.stdoutData) as? [String: Any])?["manifestDigest"] as? String
        // skopeo, trusting the same CA (a --cert-dir of *.crt files), reads the same manifest over TLS.
        try FileManager.default.createDirectory(atPath: project.dir.url("certs"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ca, toPath: project.dir.url("certs/ca.crt"))
        let raw = try ProcessRunner.run("skopeo", ["inspect", "--raw", "--cert-dir", project.dir.url("certs"), "docker://\(registry.host)/acme/greet:v1.0.0"])
        #expect(raw.status == 0, "\(raw.stderr)")
        let sum = try ProcessRunner.run("sha256sum", [], stdin: raw.stdoutData)
        #expect(digest == "sha256:" + (sum.stdout.split(separator: " ").first.map(String.init) ?? ""))
        let verify = try ProcessRunner.hallmark(["verify-remote", target + ":v1.0.0", "--ca-file", ca, "--key", project.dir.url("release.pub"),
                                                 "--report-dir", project.dir.url("reports")], environment: env)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        // Plain HTTP against a TLS server, and a CA file that is not PEM, are one-line errors.
        let plain = try ProcessRunner.hallmark(["verify-remote", target + ":v1.0.0", "--plain-http", "--key", project.dir.url("release.pub")], environment: env)
        #expect(plain.status == 2 && plain.stderr.contains("drop --plain-http"), "\(plain.stderr)")
        let garbage = try project.dir.write("garbage.pem", "not a certificate\n")
        let bad = try ProcessRunner.hallmark(["verify-remote", target + ":v1.0.0", "--ca-file", garbage, "--key", project.dir.url("release.pub")], environment: env)
        #expect(bad.status == 2 && bad.stderr.contains("garbage.pem"), "\(bad.stderr)")
    }

    @Test func installAndUpgradeFromARegistry() throws {
        let project = try InstallCommandTests.releases()
        let registry = try RegistryFixture(credentials: Self.user)
        try FileManager.default.createDirectory(atPath: project.dir.url("docker"), withIntermediateDirectories: true)
        #expect(try Oras.run("login", registry: registry, target: "", config: project.dir.url("docker/config.json"), []).status == 0)
        let env = ["DOCKER_CONFIG": project.dir.url("docker")]
        let repository = "oci://\(registry.host)/acme/greet"
        for version in ["v1.0.0", "v1.1.0"] {
            #expect(try project.hallmark(["publish", "dist/\(version)", "--to", repository, "--plain-http", "-q", "--out", project.dir.url("out")], environment: env).status == 0)
        }
        let prefix = project.dir.url("prefix")
        let key = project.dir.url("release.pub")
        func hallmark(_ arguments: [String]) throws -> ProcessOutput { try ProcessRunner.hallmark(arguments, environment: env) }
        let install = try hallmark(["install", "--index", repository + ":v1.0.0", "--plain-http", "--key", key, "--require-signature", "--prefix", prefix])
        #expect(install.status == 0, "\(install.stderr)")
        #expect(try ProcessRunner.run(prefix + "/bin/greet", ["--version"]).stdout.contains("v1.0.0"))
        // The state records the manifest the binary came from, pinned by digest.
        let installed = try hallmark(["installed", "--prefix", prefix])
        #expect(installed.stdout.contains(repository + ":v1.0.0@sha256:"), "\(installed.stdout)")
        let upgrade = try hallmark(["upgrade", "--index", repository + ":v1.1.0", "--plain-http", "--key", key, "--require-signature", "--prefix", prefix])
        #expect(upgrade.status == 0, "\(upgrade.stderr)")
        #expect(try ProcessRunner.run(prefix + "/bin/greet", ["--version"]).stdout.contains("v1.1.0"))

        // A release whose archive was swapped after signing (pushed by oras) changes nothing.
        let swapped = project.dir.url("swapped")
        try FileManager.default.copyItem(atPath: project.root + "/dist/v1.0.0", toPath: swapped)
        let host = "greet_1.0.0_linux_\(try hostArch())"
        try FileManager.default.removeItem(atPath: swapped + "/\(host).tar.gz")
        try FileManager.default.copyItem(atPath: swapped + "/greet_1.0.0_darwin_arm64.tar.gz", toPath: swapped + "/\(host).tar.gz")
        #expect(try Oras.run("push", registry: registry, target: "\(registry.host)/acme/greet:swapped", config: project.dir.url("docker/config.json"), [swapped]).status == 0)
        let before = try FileManager.default.contentsOfDirectory(atPath: prefix + "/bin")
        let binary = try Data(contentsOf: URL(fileURLWithPath: prefix + "/bin/greet"))
        let refused = try hallmark(["install", "--index", repository + ":swapped", "--plain-http", "--key", key, "--require-signature", "--prefix", prefix,
                                    "--force", "--allow-downgrade"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: prefix + "/bin") == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: prefix + "/bin/greet")) == binary)
        // A platform the release does not have, and a tag that does not exist.
        let platform = try hallmark(["install", "--index", repository + ":v1.1.0", "--plain-http", "--key", key, "--platform", "plan9/mips", "--prefix", project.dir.url("other")])
        #expect(platform.status != 0 && platform.stderr.contains("plan9"), "\(platform.stderr)")
        let missing = try hallmark(["install", "--index", repository + ":v9.9.9", "--plain-http", "--key", key, "--prefix", project.dir.url("other")])
        #expect(missing.status == 1 && missing.stderr.contains("no such manifest"), "\(missing.stderr)")
    }

    func hostArch() throws -> String {
        let machine = try ProcessRunner.run("uname", ["-m"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return machine == "aarch64" ? "arm64" : "amd64"
    }

    @Test func chunkedUploads() throws {
        let dir = try TemporaryDirectory("hallmark-chunks")
        // A signed release directory with a file that takes several chunks (3 MiB + 5 bytes) and a small one.
        var big = Data(count: (3 << 20) + 5)
        for index in big.indices { big[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 11) }
        try dir.write("release/tool_linux_amd64.tar.gz", big)
        try dir.write("release/notes.md", "notes\n")
        try dir.write("release.key", Fixtures.ed25519PEM)
        #expect(try ProcessRunner.hallmark(["sign", dir.url("release"), "--key", dir.url("release.key")]).status == 0)
        #expect(try ProcessRunner.run("openssl", ["pkey", "-in", dir.url("release.key"), "-pubout", "-out", dir.url("release.pub")]).status == 0)
        let registry = try RegistryFixture()
        let env = ["DOCKER_CONFIG": dir.url("docker")]
        let chunked = try ProcessRunner.hallmark(["publish", dir.url("release"), "--to", "oci://\(registry.host)/chunked:v1", "--plain-http", "-q",
                                                  "--chunk-size", "1MiB", "--out", dir.url("a"), "--format", "json"], environment: env)
        #expect(chunked.status == 0, "\(chunked.stderr)")
        let whole = try ProcessRunner.hallmark(["publish", dir.url("release"), "--to", "oci://\(registry.host)/whole:v1", "--plain-http", "-q",
                                                "--out", dir.url("b"), "--format", "json"], environment: env)
        #expect(whole.status == 0, "\(whole.stderr)")
        func digest(_ output: ProcessOutput) -> String? { (try? JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])?["manifestDigest"] as? String }
        #expect(digest(chunked) != nil && digest(chunked) == digest(whole))
        let verify = try ProcessRunner.hallmark(["verify-remote", "oci://\(registry.host)/chunked:v1", "--plain-http", "--key", dir.url("release.pub"),
                                                 "--report-dir", dir.url("reports")], environment: env)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let bad = try ProcessRunner.hallmark(["publish", dir.url("release"), "--to", "oci://\(registry.host)/x", "--plain-http", "--chunk-size", "lots"])
        #expect(bad.status == 2 && bad.stderr.contains("--chunk-size"), "\(bad.stderr)")
    }
}
