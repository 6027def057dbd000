import Foundation
import HallmarkCore
import Mustache

/// SLSA v1 provenance for a release.
enum ProvenanceBuilder {
    static let buildType = "https://hallmark.dev/release/v1"

    static func statement(_ facts: ReleaseFacts, subjects: [(name: String, sha256: String)]) -> InTotoStatement {
        var dependencies: [JSONValue] = [
            .object([
                "uri": .string("git+\(facts.repository)" + (facts.ref.map { "@\($0)" } ?? "")),
                "digest": .object(["gitCommit": .string(facts.commit)]),
            ])
        ]
        var seen = Set<String>()
        for dependency in facts.dependencies.sorted(by: { $0.purl < $1.purl }) where seen.insert(dependency.purl).inserted {
            var object: [String: JSONValue] = ["name": .string(dependency.name), "uri": .string(dependency.purl)]
            if !dependency.digest.isEmpty { object["digest"] = .object(dependency.digest.mapValues { .string($0) }) }
            dependencies.append(.object(object))
        }
        let targets = facts.artifacts.map { JSONValue.string($0.platform.description) }
        var external: [String: JSONValue] = [
            "config": .object(["path": .string(facts.config), "sha256": .string(facts.configSha256)]),
            "version": .string(facts.version),
            "targets": .array(targets),
            "repository": .string(facts.repository),
            "workingDirectory": .string(facts.workingDirectory),
        ]
        if let ref = facts.ref { external["ref"] = .string(ref) }
        if let workflow = facts.workflowRef { external["workflowRef"] = .string(workflow) }
        let predicate: JSONValue = .object([
            "buildDefinition": .object([
                "buildType": .string(buildType),
                "externalParameters": .object(external),
                "internalParameters": .object([
                    "hallmarkVersion": .string(facts.hallmarkVersion),
                    "tools": .object(facts.tools.mapValues { .string($0) }),
                    "sourceDateEpoch": .number(String(facts.sourceDateEpoch)),
                ]),
                "resolvedDependencies": .array(dependencies),
            ]),
            "runDetails": .object([
                "builder": .object(["id": .string(facts.builderID)]),
                "metadata": .object([
                    "invocationId": .string(facts.invocationID),
                    "startedOn": .string(facts.sourceDate),
                    "finishedOn": .string(facts.sourceDate),
                ]),
            ]),
        ])
        return InTotoStatement(
            subject: subjects.map { ResourceDescriptor(name: $0.name, digest: ["sha256": $0.sha256]) },
            predicateType: SLSAProvenanceV1.predicateType, predicate: predicate)
    }
}

/// Release notes from a Mustache template, and the evidence in Markdown.
enum ReleaseNotes {
    static let defaultTemplate = """
        {{% CONTENT_TYPE: TEXT}}
        # {{name}} {{version}}

        Built from commit `{{commit}}` of {{repository}}; source date {{source_date}}.

        ## Downloads

        | File | Platform | Size | SHA-256 |
        |---|---|---|---|
        {{#artifacts}}
        | `{{file}}` | {{platform}} | {{size_human}} | `{{sha256}}` |
        {{/artifacts}}

        Each archive holds `{{#artifacts}}{{#first}}{{binary}}{{/first}}{{/artifacts}}` (with `.exe` on Windows){{#has_extra_files}} and {{extra_files}}{{/has_extra_files}}.

        ## Verify

        {{#signed}}
        Every file is signed with the key `{{key_id}}`. With the release's public key (`release.pub`):

        ```sh
        hallmark verify {{version}} --key release.pub
        ```

        {{/signed}}
        {{^signed}}
        This is a dry run: nothing was signed.

        {{/signed}}
        Without Hallmark, check the downloads against the list:

        ```sh
        sha256sum --ignore-missing -c checksums.txt
        ```

        The release also carries an SPDX SBOM (`sbom.spdx.json`, {{dependency_count}} dependencies), SLSA provenance
        (`provenance.json`{{#signed}}, signed as `provenance.intoto.jsonl`{{/signed}}) and a reproducibility manifest
        (`reproducibility.json`): `hallmark rebuild {{version}} --target {{#artifacts}}{{#first}}{{platform}}{{/first}}{{/artifacts}}`
        rebuilds a target and compares digests.

        """

    static func humanSize(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func context(_ facts: ReleaseFacts, signed: Bool, keyID: String?, extraFiles: [String]) -> [String: Any] {
        let artifacts: [[String: Any]] = facts.artifacts.enumerated().map { index, artifact in
            [
                "file": artifact.archive, "platform": artifact.platform.description, "os": artifact.platform.os,
                "arch": artifact.platform.arch, "size": artifact.archiveSize, "size_human": humanSize(artifact.archiveSize),
                "sha256": artifact.archiveSha256, "binary": artifact.binaryPath, "binary_sha256": artifact.binarySha256,
                "format": artifact.format, "first": index == 0,
            ]
        }
        return [
            "name": facts.name, "version": facts.version, "commit": facts.commit, "short_commit": String(facts.commit.prefix(12)),
            "repository": facts.repository, "source_date": facts.sourceDate, "artifacts": artifacts, "signed": signed,
            "key_id": keyID ?? "", "dependency_count": facts.dependencies.count,
            "has_extra_files": !extraFiles.isEmpty, "extra_files": extraFiles.map { "`\($0)`" }.joined(separator: ", "),
        ]
    }

    static func render(template text: String, source: String, context: [String: Any]) throws(HallmarkError) -> String {
        let template: MustacheTemplate
        do {
            let withPragma = text.contains("CONTENT_TYPE") ? text : "{{% CONTENT_TYPE: TEXT}}\n" + text
            template = try MustacheTemplate(string: withPragma)
        } catch let error as MustacheTemplate.ParserError {
            let line = text.contains("CONTENT_TYPE") ? error.context.lineNumber : error.context.lineNumber - 1
            throw .invalidInput("\(source):\(line):\(error.context.columnNumber): the notes template does not parse (\(error.error))")
        } catch {
            throw .invalidInput("\(source): the notes template does not parse (\(error))")
        }
        let text = template.render(context)
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    static func evidenceMarkdown(_ evidence: ReleaseEvidence) -> String {
        var lines = [
            "# Release evidence: \(evidence.name) \(evidence.version)", "",
            "- Commit: `\(evidence.commit)`" + (evidence.ref.map { " (\($0))" } ?? ""),
            "- Repository: \(evidence.repository)",
            "- Source date: \(evidence.sourceDate)",
            "- Builder: \(evidence.builder.id) (invocation `\(evidence.builder.invocationId)`), hallmark \(evidence.builder.hallmarkVersion)",
            "- Config: `\(evidence.config.name)` sha256 `\(evidence.config.sha256)`",
            "- Signed: " + (evidence.signing.signed ? "yes, key `\(evidence.signing.keyId ?? "?")` (\(evidence.signing.algorithm ?? "?"))" : "no (dry run)"),
            "- Dependencies recorded in the SBOM: \(evidence.dependencies)",
        ]
        if !evidence.builder.tools.isEmpty {
            lines.append("- Tools: " + evidence.builder.tools.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
        }
        lines += ["", "## Targets", "", "| Target | Build | Archive | Archive SHA-256 | Binary SHA-256 |", "|---|---|---|---|---|"]
        for t in evidence.targets {
            lines.append("| \(t.os)/\(t.arch) | \(t.build) | `\(t.archive)` | `\(t.sha256)` | `\(t.binarySha256)` |")
        }
        lines += ["", "## Files", "", "| File | Size | SHA-256 |", "|---|---|---|"]
        for f in evidence.files { lines.append("| `\(f.name)` | \(f.size) | `\(f.sha256)` |") }
        lines += ["", "## Checks", ""]
        for c in evidence.checks { lines.append("- [\(c.passed ? "x" : " ")] \(c.name): \(c.detail)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
