import Foundation

/// A real HTTP server on 127.0.0.1 (Python's http.server) serving a directory, started for one test and stopped
/// when released. Paths under `/broken/` answer 500, paths under `/slow/` answer after 5 seconds, and paths
/// under `/flaky/` break off halfway through the body the first time each is asked for. With `tls`, it serves
/// HTTPS with a certificate from a private CA (`caCertificate`). With `logRequests`, it records the path of every
/// GET (`requestedPaths()`), so a test can tell what a client fetched, and what it never asked for.
public final class HTTPServerFixture: @unchecked Sendable {  // the process handle is touched only by init and deinit
    public let port: Int
    public let caCertificate: String?
    private let process: Process
    private let certificates: TemporaryDirectory?
    private let requestLog: TemporaryDirectory?

    static let script = """
        import functools, http.server, os, sys, threading, time
        seen = set()
        lock = threading.Lock()
        args = sys.argv[1:]
        log = args.pop(0)[len("--log="):] if args and args[0].startswith("--log=") else None
        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                if log:
                    with lock, open(log, "a") as out:
                        out.write(self.path + "\\n")
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
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=args[0]))
        if len(args) > 2:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(args[1], args[2])
            server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    public init(serving directory: String, tls: Bool = false, logRequests: Bool = false) throws {
        var arguments = [directory]
        if logRequests {
            let log = try TemporaryDirectory("hallmark-http-log")
            arguments.insert("--log=" + log.url("requests.txt"), at: 0)
            requestLog = log
        } else {
            requestLog = nil
        }
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

    /// The paths asked for so far, in order (needs `logRequests`).
    public func requestedPaths() throws -> [String] {
        guard let requestLog else { throw FixtureError("the HTTP server was started without logRequests") }
        guard requestLog.exists("requests.txt") else { return [] }
        return String(decoding: try requestLog.read("requests.txt"), as: UTF8.self).split(separator: "\n").map(String.init)
    }

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
