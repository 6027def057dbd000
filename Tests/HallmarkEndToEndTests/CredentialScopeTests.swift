import Foundation
import HallmarkTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Registry credentials go to the registry's origin only: not to an upload `Location` on another host, not along a
/// redirect to a blob store, not to a token service over plain HTTP.
@Suite("Credentials stay with the registry's origin", .serialized)
struct CredentialScopeTests {
    /// A registry that wants Basic credentials and hands uploads and downloads to a second server (another origin,
    /// as a blob store or CDN would be); both log every request's Authorization header to argv[1]. Prints
    /// "REGISTRY_PORT" then serves; the store's port is REGISTRY_PORT's neighbour, printed second.
    static let script = #"""
        import base64, hashlib, http.server, json, ssl, sys, threading, urllib.parse, uuid
        log, auth = sys.argv[1], "Basic " + base64.b64encode(b"user:secret").decode()
        # argv[2]: "plain" (both servers on HTTP), or the registry on HTTPS (argv[3] certificate, argv[4] key)
        # trying to move the client to the plain-HTTP store: "tls-http-upload" (an upload Location on http://)
        # or "tls-upper-redirect" (uploads stay, downloads redirect to HTTP://, the scheme in capitals).
        mode = sys.argv[2] if len(sys.argv) > 2 else "plain"
        blobs, manifests, lock = {}, {}, threading.Lock()
        def record(server, handler):
            with lock, open(log, "a") as f:
                f.write(json.dumps({"server": server, "method": handler.command, "path": handler.path,
                                    "authorization": handler.headers.get("Authorization")}) + "\n")
        class Base(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def body(self): return self.rfile.read(int(self.headers.get("Content-Length") or 0))
            def reply(self, status, data=b"", headers=()):
                self.send_response(status)
                for name, value in headers: self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD": self.wfile.write(data)
        class Store(Base):
            def do_PUT(self):
                record("store", self)
                data = self.body()
                digest = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["digest"][0]
                with lock: blobs[digest] = data
                self.reply(201)
            def do_GET(self):
                record("store", self)
                data = blobs.get(self.path.rsplit("/", 1)[-1])
                self.reply(200, data) if data is not None else self.reply(404)
        class Registry(Base):
            def allowed(self):
                record("registry", self)
                self.body()
                if self.headers.get("Authorization") == auth: return True
                self.reply(401, b"{}", [("WWW-Authenticate", 'Basic realm="test"')])
                return False
            def do_HEAD(self):
                if not self.allowed(): return
                digest = self.path.rsplit("/", 1)[-1]
                if "/blobs/" in self.path and digest in blobs: self.reply(200, headers=[("Content-Length", str(len(blobs[digest])))])
                elif "/manifests/" in self.path and digest in manifests: self.reply(200)
                else: self.reply(404)
            def do_POST(self):
                if not self.allowed(): return
                if mode == "tls-upper-redirect": return self.reply(202, headers=[("Location", f"/upload/{uuid.uuid4()}")])
                self.reply(202, headers=[("Location", f"http://127.0.0.1:{store.server_address[1]}/upload/{uuid.uuid4()}")])
            def do_PUT(self):
                record("registry", self)
                data = self.body()
                if self.path.startswith("/upload/") and self.headers.get("Authorization") == auth:
                    digest = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["digest"][0]
                    with lock: blobs[digest] = data
                    return self.reply(201)
                if self.headers.get("Authorization") != auth:
                    return self.reply(401, b"{}", [("WWW-Authenticate", 'Basic realm="test"')])
                tag = self.path.rsplit("/", 1)[-1]
                with lock: manifests[tag] = data
                self.reply(201, headers=[("Docker-Content-Digest", "sha256:" + hashlib.sha256(data).hexdigest())])
            def do_GET(self):
                if not self.allowed(): return
                key = self.path.rsplit("/", 1)[-1]
                if "/manifests/" in self.path:
                    data = manifests.get(key)
                    if data is None: return self.reply(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
                    return self.reply(200, data, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
                scheme = "HTTP" if mode == "tls-upper-redirect" else "http"
                self.reply(307, headers=[("Location", f"{scheme}://127.0.0.1:{store.server_address[1]}/blob/{key}")])
        store = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Store)
        registry = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
        if mode != "plain":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[3], sys.argv[4])
            registry.socket = context.wrap_socket(registry.socket, server_side=True)
        threading.Thread(target=store.serve_forever, daemon=True).start()
        print(registry.server_address[1], flush=True)
        registry.serve_forever()
        """#

    @Test("publish and verify-remote through a registry whose uploads and downloads live on another origin")
    func uploadLocationAndRedirectGetNoCredentials() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let log = project.dir.url("requests.jsonl")
        try project.dir.write("requests.jsonl", "")
        let (process, port) = try HTTPServerFixture.startPython(Self.script, [log], name: "the two-origin registry")
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let target = "oci://127.0.0.1:\(port)/acme/greet"
        let credentials = ["--plain-http", "--username", "user", "--password-stdin"]
        let published = try ProcessRunner.hallmark(["publish", "dist/v1.0.0", "--to", target] + credentials, in: project.root, stdin: Data("secret\n".utf8))
        #expect(published.status == 0, "\(published.stdout)\(published.stderr)")
        let verified = try ProcessRunner.hallmark(["verify-remote", target + ":v1.0.0", "--key", project.dir.url("release.pub"),
                                                   "--report-dir", project.dir.url("reports")] + credentials, stdin: Data("secret\n".utf8))
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        let requests = String(decoding: try project.dir.read("requests.jsonl"), as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let store = requests.filter { $0["server"] as? String == "store" }
        let registry = requests.filter { $0["server"] as? String == "registry" }
        #expect(store.contains { $0["method"] as? String == "PUT" } && store.contains { $0["method"] as? String == "GET" }, "\(store.count) store requests")
        #expect(store.allSatisfy { $0["authorization"] is NSNull }, "credentials reached the other origin: \(store)")
        #expect(registry.contains { ($0["authorization"] as? String)?.hasPrefix("Basic ") == true }, "the registry itself got them")
    }

    @Test("An HTTPS registry cannot move an upload or a download to plain HTTP, whatever the scheme's case")
    func noDowngradeToPlainHTTP() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let certificates = try TestCertificates.make(in: project.dir)
        for mode in ["tls-http-upload", "tls-upper-redirect"] {
            let log = project.dir.url("\(mode).jsonl")
            try project.dir.write("\(mode).jsonl", "")
            let (process, port) = try HTTPServerFixture.startPython(
                Self.script, [log, mode, certificates.certificate, certificates.key], name: "the \(mode) registry")
            defer {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            let target = "oci://127.0.0.1:\(port)/acme/greet"
            let options = ["--ca-file", certificates.ca, "--username", "user", "--password-stdin"]
            let published = try ProcessRunner.hallmark(
                ["publish", "dist/v1.0.0", "--to", target] + options, in: project.root, stdin: Data("secret\n".utf8))
            if mode == "tls-http-upload" {
                #expect(published.status == 2, "\(mode): \(published.stderr)")
                #expect(published.stderr.contains("sent the upload to plain HTTP"), "\(published.stderr)")
            } else {
                #expect(published.status == 0, "\(mode): \(published.stderr)")
                let verified = try ProcessRunner.hallmark(
                    ["verify-remote", target + ":v1.0.0", "--key", project.dir.url("release.pub"),
                     "--report-dir", project.dir.url("reports")] + options, stdin: Data("secret\n".utf8))
                #expect(verified.status != 0, "\(mode): \(verified.stdout)")
                #expect(verified.stderr.contains("redirected to plain HTTP"), "\(verified.stderr)")
            }
            let requests = String(decoding: try project.dir.read("\(mode).jsonl"), as: UTF8.self)
            #expect(!requests.contains("\"store\""), "\(mode): the plain-HTTP server was reached: \(requests)")
        }
    }

    @Test("A token service over plain HTTP gets no credentials from an HTTPS registry")
    func plainHTTPRealmIsRefused() throws {
        let project = try ExampleProject()
        #expect(try project.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"]).status == 0)
        let tokens = try TokenServiceFixture(credentials: ("user", "secret"))
        let registry = try RegistryFixture(tokens: tokens, tls: true)
        let ca = try #require(registry.caCertificate)
        let result = try ProcessRunner.hallmark(["publish", "dist/v1.0.0", "--to", "oci://\(registry.host)/acme/greet", "--ca-file", ca,
                                                 "--username", "user", "--password-stdin"], in: project.root, stdin: Data("secret\n".utf8))
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("is not HTTPS; refusing to send credentials"), "\(result.stderr)")
    }
}
