import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a release directory to a directory (file://) or an OCI registry (oci://), all or nothing.",
        discussion: """
            file:///PATH: copies the release into a temporary directory beside the destination, checks every \
            file's sha256 against the original, then renames it into place as PATH/VERSION (the version from \
            index.json, else the directory's name). A published version is never replaced without --force.

            oci://HOST[:PORT]/REPOSITORY[:TAG]: pushes every file as a blob into one OCI 1.1 manifest (artifactType \
            application/vnd.hallmark.release.v1, the empty config, each file's name in \
            org.opencontainers.image.title, nothing from the clock: the same release always has the same \
            digest), then tags it with TAG (default: the version, `+` written `_`). Blobs the registry has are \
            not sent again. The tag moves last, in one request, and only with --force when it names another \
            manifest; a refused or broken push leaves it where it was. Credentials: --username with \
            --password-stdin, else the Docker config file (`docker login`, `oras login` and \
            `skopeo login --authfile` write it; credential helpers are asked too), else anonymous.

            Both write release-assets.txt (one line per file; `hallmark summary --remote-assets` reads it) and \
            release-url.txt (the OCI one pinned to the manifest digest: oci://HOST/REPO:TAG@sha256:...) into \
            --out (default: the release directory's parent).

            Examples:
              $ hallmark publish dist/v1.4.0 --to file:///srv/www/releases
              $ hallmark publish dist/v1.4.0 --to oci://registry.example.com/acme/greet
              $ hallmark publish dist/v1.4.0 --to oci://127.0.0.1:5000/greet --plain-http
              $ echo "$TOKEN" | hallmark publish dist/v1.4.0 --to oci://ghcr.io/acme/greet --username acme --password-stdin
              $ hallmark summary dist/v1.4.0 --remote-assets dist/release-assets.txt
            """)

    @Argument(help: "The release directory.")
    var directory: String

    @Option(help: "Where to publish: file:///PATH or oci://HOST[:PORT]/REPOSITORY[:TAG].")
    var to: String

    @Flag(help: "Replace an already published version (move an existing OCI tag).")
    var force = false

    @Option(help: "Where to write release-assets.txt and release-url.txt.")
    var out: String?

    @Option(help: "Seconds before a registry request times out.")
    var timeout: Int64 = 30

    @Option(help: "Upload blobs larger than this in chunks of this size (e.g. 16MiB), for registries or proxies that limit a request's size.")
    var chunkSize: String?

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    /// `N`, `NKiB`, `NMiB` or `NGiB` (K, M and G mean the same).
    static func bytes(_ text: String) throws(HallmarkError) -> Int64 {
        let units: [(String, Int64)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = Int64(text.dropLast(suffix.count)), number > 0 { return number * factor }
        }
        guard let number = Int64(text), number > 0 else { throw .usage("--chunk-size \(text): a size such as 16MiB, 512KiB or 1048576") }
        return number
    }

    @OptionGroup var registry: RegistryOptions

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let quiet = self.quiet
            var access = try registry.access(timeout: timeout)
            access.chunkSize = try chunkSize.map(Self.bytes)
            let result = try await Publishing(context: context).publish(
                directory: directory, to: to, force: force, out: out, registry: access,
                progress: { line in if !quiet { Terminal.warning(line) } })
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                let verb = result.unchanged == true ? "already published" : result.replaced ? "republished" : "published"
                var line = "\(verb) \(result.version) at \(result.url) (\(result.assets.count) files"
                if let uploaded = result.uploaded, let reused = result.reused, result.unchanged != true {
                    line += "; \(uploaded) blobs sent, \(reused) already there"
                }
                Terminal.print(line + "); listed in \(result.assetsList)")
            }
        }
    }
}
