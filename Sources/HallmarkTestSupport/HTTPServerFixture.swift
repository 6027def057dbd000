import Foundation

/// A real HTTP server on 127.0.0.1 (Python's http.server) serving a directory, started for one test and stopped
/// when released. Paths under `/broken/` answer 500, paths under `/slow/` answer after 5 seconds, and paths
/// under `/flaky/` break off halfway through the body the first time each is asked for. With `tls`, it serves
/// HTTPS with a certificate from a private CA (`caCertificate`).
public final class HTTPServerFixture: @unchecked Sendable {  // the process handle is touched only by init and deinit
    public let port: Int
    public let caCertificate: String?
    private let process: Process
    private let certificates: TemporaryDirectory?

    static let script = """
        import functools, http.server, os, sys, threading, time
        seen = set()
        lock = threading.Lock()
        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                if "/broken/" in self.path:
                    self.send_error(500, "broken on purpose")
                    return
                if "/flaky/" in self.path:
                    self.path = self.path.replace("/flaky/", "/", 1)
                    with lock:
                        first = self.path not in seen
                        seen.add(self.path)
                    local = self.translate_path(self.path)
                    if first and os.path.isfile(local):
                        data = open(local, "rb").read()
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                if "/slow/" in self.path:
                    time.sleep(5)
                    self.path = self.path.replace("/slow/", "/", 1)
                return super().do_GET()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=sys.argv[1]))
        if len(sys.argv) > 3:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2], sys.argv[3])
            server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    public init(serving directory: String, tls: Bool = false) throws {
        var arguments = [directory]
        if tls {
            let certificates = try TemporaryDirectory("hallmark-https")
            let made = try TestCertificates.make(in: certificates)
            arguments += [made.certificate, made.key]
            caCertificate = made.ca
            self.certificates = certificates
        } else {
            caCertificate = nil
            certificates = nil
        }
        (process, port) = try Self.startPython(Self.script, arguments, name: "the HTTP server")
    }

    public var base: String { (caCertificate == nil ? "http" : "https") + "://127.0.0.1:\(port)" }

    deinit {
        // SIGKILL: a child can inherit a blocked SIGTERM from the test runner's threads.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

extension HTTPServerFixture {
    /// Starts `python3 -c SCRIPT ARGUMENTS…`, a server that prints the port it listens on as its first line.
    public static func startPython(_ script: String, _ arguments: [String], name: String) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw FixtureError("\(name) did not start")
        }
        return (process, port)
    }
}
