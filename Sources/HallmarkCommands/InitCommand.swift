import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a hallmark.yml for a SwiftPM, Cargo, Go or Makefile project.",
        discussion: """
            Detects the project (Package.swift, Cargo.toml, go.mod, Makefile), writes hallmark.yml, and adds the \
            output directory (and, for a Makefile project, the binary) to .gitignore so the next release finds a \
            clean tree. Then `hallmark release --version v0.1.0 --dry-run` works as is.

            hallmark.yml keys (unknown keys are errors):
              version: 1
              project: name (required), repository, supplier, license (SPDX expression)
              builds: a list of
                id          build name (default: binary)
                binary      the executable's name (.exe is added for windows)
                command     run with /bin/sh -c in dir; sees HALLMARK_VERSION, HALLMARK_COMMIT, HALLMARK_OS,
                            HALLMARK_ARCH, HALLMARK_OUTPUT, SOURCE_DATE_EPOCH (plus TZ=UTC, LC_ALL=C)
                dir         working directory, relative to hallmark.yml (default .)
                env         extra variables (templates allowed)
                output      where the command leaves the binary, relative to dir (default: $HALLMARK_OUTPUT)
                targets     os/arch list, e.g. [linux/amd64, linux/arm64, darwin/arm64, windows/amd64]
              archives: format (tar.gz | zip), formats ({ windows: zip }), name (template, no extension),
                        files (README, LICENSE…), compression_level (1-9, default 6)
              signing: key (path or env://VAR; default HALLMARK_SIGNING_KEY)
              sbom: enabled (default true), lockfiles (extra lockfiles; known ones are found automatically)
              provenance: builder_id (default from GITHUB_WORKFLOW_REF, else a local id), tools (commands whose
                          --version is recorded)
              release_notes: template (a Mustache file; the default lists the downloads and verify commands)
              test: a command run before the builds
              guard: require_v, require_tag (default true), match_ref
              dist: output directory (default dist)
              parallelism: builds at once (default: the number of cores)
            Templates: {{ project }} {{ version }} {{ semver }} {{ tag }} {{ commit }} {{ short_commit }} {{ os }} \
            {{ arch }} {{ ext }} {{ binary }} {{ id }} {{ output }} {{ source_date_epoch }}

            Examples:
              $ hallmark init
              $ hallmark init path/to/project --binary mytool
            """)

    @Argument(help: "The project directory.")
    var directory: String = "."

    @Option(help: "The executable's name (default: detected, or the directory's name).")
    var binary: String?

    @Flag(help: "Replace an existing hallmark.yml.")
    var force = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let result = try ProjectInit(context: context).run(directory: directory, binary: binary, force: force)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                Terminal.print("wrote \(result.config) for a \(result.kind.rawValue) project: binary \(result.binary), targets \(result.targets.joined(separator: ", "))")
                if result.gitignoreUpdated { Terminal.print("added the output directory to .gitignore") }
                Terminal.print("next: hallmark release --version v0.1.0 --dry-run")
            }
        }
    }
}
