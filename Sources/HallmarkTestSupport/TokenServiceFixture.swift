import Foundation

/// A token service for a registry's Bearer authentication (Docker's token protocol) on 127.0.0.1: it checks
/// HTTP Basic credentials and answers `{"token": JWT}`, the JWT signed with ES256 by a P-256 key whose
/// self-signed certificate (made with openssl) is the registry's `rootcertbundle` and rides in the `x5c`
/// header. The JWT grants what the `scope` parameters ask for. It also speaks the OAuth2 form of the protocol:
/// a POST with `grant_type=refresh_token` whose `refresh_token` is the password (an identity token, as Docker
/// keeps them) gets an `access_token`. Written here in Python with `cryptography`.
public final class TokenServiceFixture: @unchecked Sendable {  // the process handle is touched only by init and deinit
    public static let service = "hallmark-test"
    public static let issuer = "hallmark-test-issuer"
    public let credentials: (user: String, password: String)
    public let certificate: String
    public let port: Int
    private let directory: TemporaryDirectory
    private let process: Process

    static let script = """
        import base64, http.server, json, sys, time
        from urllib.parse import urlparse, parse_qs
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        key_path, cert_path, user, password, issuer = sys.argv[1:6]
        key = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
        der = x509.load_pem_x509_certificate(open(cert_path, "rb").read()).public_bytes(serialization.Encoding.DER)

        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                query = parse_qs(urlparse(self.path).query)
                expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers(); return
                self.issue(query)
            def do_POST(self):
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
                if form.get("grant_type") != ["refresh_token"] or form.get("refresh_token") != [password]:
                    self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers(); return
                self.issue(form)
            def issue(self, query):
                access = []
                for scope in query.get("scope", []):
                    kind, name, actions = scope.split(":")
                    access.append({"type": kind, "name": name, "actions": actions.split(",")})
                now = int(time.time())
                header = {"alg": "ES256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
                claims = {"iss": issuer, "sub": user, "aud": query.get("service", [""])[0],
                          "exp": now + 600, "nbf": now - 10, "iat": now, "jti": str(time.time_ns()), "access": access}
                signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
                r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
                token = signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
                body = json.dumps({"token": token, "access_token": token, "expires_in": 600}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    public init(credentials: (user: String, password: String)) throws {
        self.credentials = credentials
        directory = try TemporaryDirectory("hallmark-token")
        let key = directory.url("token.key")
        certificate = directory.url("token.crt")
        let made = try ProcessRunner.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=hallmark-test-token",
            "-days", "2", "-keyout", key, "-out", certificate,
        ])
        guard made.status == 0 else { throw FixtureError("openssl req: \(made.stderr)") }
        (process, port) = try HTTPServerFixture.startPython(
            Self.script, [key, certificate, credentials.user, credentials.password, Self.issuer], name: "the token service")
    }

    public var realm: String { "http://127.0.0.1:\(port)/token" }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
