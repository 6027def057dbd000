/// The API's OpenAPI 3.1 document, served at `/openapi.yaml` (the reference for what the server answers).
enum OpenAPIDocument {
    static let yaml = """
        openapi: 3.1.0
        info:
          title: Hallmark evidence API
          version: "1"
          description: Rollout governance records from a Hallmark evidence log (read-only).
        paths:
          /healthz:
            get:
              summary: The process is up.
              responses:
                "200": {description: ok, content: {application/json: {schema: {type: object}}}}
          /readyz:
            get:
              summary: The store answers.
              responses:
                "200": {description: ready, content: {application/json: {schema: {type: object}}}}
                "503": {$ref: "#/components/responses/Problem"}
          /evidence:
            get:
              summary: Search records, newest first; every filter combines.
              parameters:
                - {name: kind, in: query, schema: {type: string, enum: [rollout, promotion-request, promotion-approval, promotion-execution, rollback-request, rollback-execution]}}
                - {name: status, in: query, schema: {type: string}}
                - {name: environment, in: query, schema: {type: string}}
                - {name: deployment_target, in: query, schema: {type: string}}
                - {name: ring, in: query, schema: {type: string}}
                - {name: approval_state, in: query, schema: {type: string}}
                - {name: execution_status, in: query, schema: {type: string}}
                - {name: version, in: query, schema: {type: string}}
                - {name: change_record, in: query, schema: {type: string}}
                - {name: since, in: query, schema: {type: string}, description: RFC 3339, a date, or Unix seconds}
                - {name: until, in: query, schema: {type: string}}
                - {name: cursor, in: query, schema: {type: integer, minimum: 0}, description: the previous page's nextCursor}
                - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 50}}
              responses:
                "200": {description: a page of records, content: {application/json: {schema: {type: object, required: [schemaVersion, records]}}}}
                "400": {$ref: "#/components/responses/Problem"}
          /evidence/{id}:
            get:
              summary: One record, verified from the log, with its Statement and inclusion proof.
              parameters:
                - {name: id, in: path, required: true, schema: {type: string, pattern: "^[a-z]{2}-[0-9a-f]{24}$"}}
              responses:
                "200": {description: the record, content: {application/json: {schema: {type: object, required: [id, kind, sha256, logIndex, verified, statement, inclusion]}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
          /log/checkpoint:
            get:
              summary: The log's latest signed checkpoint (C2SP signed note).
              responses:
                "200": {description: the checkpoint, content: {application/json: {schema: {type: object, required: [origin, treeSize, note]}}}}
          /log/proof/{id}:
            get:
              summary: A record's inclusion proof under the latest checkpoint, with that checkpoint.
              parameters:
                - {name: id, in: path, required: true, schema: {type: string, pattern: "^[a-z]{2}-[0-9a-f]{24}$"}}
              responses:
                "200": {description: the proof, content: {application/json: {schema: {type: object, required: [id, sha256, leafHash, inclusion, checkpoint]}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /audit/export:
            get:
              summary: Every record as an event.
              parameters:
                - {name: format, in: query, schema: {type: string, enum: [jsonl, cef, ocsf, servicenow], default: jsonl}}
                - {name: since, in: query, schema: {type: string}}
              responses:
                "200": {description: one event per line}
                "400": {$ref: "#/components/responses/Problem"}
        components:
          responses:
            Problem:
              description: RFC 9457 problem details
              content:
                application/problem+json:
                  schema: {type: object, required: [type, title, status, detail, code]}

        """
}
