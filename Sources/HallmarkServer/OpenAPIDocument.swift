/// The API's OpenAPI 3.1 document, served at `/openapi.yaml`: the reference for what the server answers (the
/// schemathesis run tests the server against it).
enum OpenAPIDocument {
    static let yaml = """
        openapi: 3.1.0
        info:
          title: Hallmark evidence API
          version: "1"
          description: >-
            Rollout governance records from a Hallmark evidence log: search and read them verified, with their
            files, proofs and readiness; submit requests, signed decisions and executions. Every record written
            is appended to the log. Errors are RFC 9457 problem details with a stable code.
        servers:
          - url: /
        security:
          - bearer: []
        paths:
          /healthz:
            get:
              summary: The process is up.
              security: []
              responses:
                "200": {description: ok, content: {application/json: {schema: {type: object, required: [status]}}}}
          /readyz:
            get:
              summary: The store answers.
              security: []
              responses:
                "200": {description: ready, content: {application/json: {schema: {type: object, required: [status, treeSize]}}}}
                "503": {$ref: "#/components/responses/Problem"}
          /metrics:
            get:
              summary: Prometheus metrics (text exposition format).
              security: []
              responses:
                "200": {description: metrics, content: {text/plain: {schema: {type: string}}}}
          /openapi.yaml:
            get:
              summary: This document.
              security: []
              responses:
                "200": {description: the document, content: {application/yaml: {schema: {type: string}}}}
          /evidence:
            get:
              summary: Search records, newest first; every filter combines.
              parameters:
                - {name: kind, in: query, schema: {type: string, enum: [rollout, promotion-request, promotion-approval, promotion-execution, rollback-request, rollback-execution]}}
                - $ref: "#/components/parameters/status"
                - $ref: "#/components/parameters/environment"
                - $ref: "#/components/parameters/deployment_target"
                - $ref: "#/components/parameters/ring"
                - $ref: "#/components/parameters/approval_state"
                - $ref: "#/components/parameters/execution_status"
                - $ref: "#/components/parameters/version"
                - $ref: "#/components/parameters/change_record"
                - $ref: "#/components/parameters/since"
                - $ref: "#/components/parameters/until"
                - $ref: "#/components/parameters/cursor"
                - $ref: "#/components/parameters/limit"
              responses:
                "200": {description: a page of records, content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /evidence/{id}:
            get:
              summary: One record, verified from the log, with its Statement and inclusion proof.
              parameters: [{$ref: "#/components/parameters/id"}]
              responses:
                "200": {description: the record, content: {application/json: {schema: {$ref: "#/components/schemas/Shown"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /evidence/{id}/artifacts:
            get:
              summary: >-
                The record's files (its rollout directory's, and a rollback's evidence files) with their integrity
                under the artifact root, and the promotion readiness the record bears on, with reasons.
              parameters: [{$ref: "#/components/parameters/id"}]
              responses:
                "200": {description: files and readiness, content: {application/json: {schema: {$ref: "#/components/schemas/Artifacts"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "429": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /evidence/{id}/artifacts/{name}:
            get:
              summary: One file, checked against the record's digest, as an attachment (curl -OJ keeps its name).
              parameters:
                - $ref: "#/components/parameters/id"
                - {name: name, in: path, required: true, schema: {type: string}, description: "the file's name as the artifacts list gives it (slashes allowed)"}
              responses:
                "200":
                  description: the file
                  headers: {Content-Disposition: {schema: {type: string}}}
                  content: {application/octet-stream: {schema: {type: string, format: binary}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "429": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /evidence/{id}/artifact-bundle:
            get:
              summary: The record's files and their checksums.txt in a deterministic zip.
              parameters: [{$ref: "#/components/parameters/id"}]
              responses:
                "200":
                  description: the zip
                  headers: {Content-Disposition: {schema: {type: string}}}
                  content: {application/zip: {schema: {type: string, format: binary}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "429": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /promotion-requests:
            get:
              summary: Search promotion requests (the filters of /evidence).
              parameters: &requestFilters
                - $ref: "#/components/parameters/status"
                - $ref: "#/components/parameters/environment"
                - $ref: "#/components/parameters/deployment_target"
                - $ref: "#/components/parameters/ring"
                - $ref: "#/components/parameters/approval_state"
                - $ref: "#/components/parameters/version"
                - $ref: "#/components/parameters/change_record"
                - $ref: "#/components/parameters/since"
                - $ref: "#/components/parameters/until"
                - $ref: "#/components/parameters/cursor"
                - $ref: "#/components/parameters/limit"
              responses: &pageResponses
                "200": {description: a page of records, content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
            post:
              summary: >-
                Create a promotion request: a request its requester signed ({envelope}), or fields this server's
                signing key signs for the caller (releaser), recorded with the caller's name.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      oneOf:
                        - {$ref: "#/components/schemas/Submitted"}
                        - type: object
                          additionalProperties: false
                          required: [rollout, targetRing]
                          properties:
                            rollout: {type: string, pattern: "^ro-[0-9a-f]{24}$"}
                            targetRing: {type: string, minLength: 1, maxLength: 1024}
                            expires: {$ref: "#/components/schemas/Duration"}
              responses: &createResponses
                "200": {description: already recorded (the same record), content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "201": {description: recorded, content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "415": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /promotion-requests/{id}:
            get:
              summary: A request with its chain of decisions, its approvers, its readiness, and what a decision signed now must follow.
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: &requestResponses
                "200": {description: the request, content: {application/json: {schema: {$ref: "#/components/schemas/RequestView"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /promotion-requests/{id}/approvals:
            get:
              summary: The decisions on a request so far.
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: &approvalsResponses
                "200": {description: decisions, content: {application/json: {schema: {$ref: "#/components/schemas/Approvals"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
            post:
              summary: >-
                Submit a decision its approver signed (hallmark promote approve --server … --sign-only): a DSSE
                envelope, verified here, never made here (approver role).
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody:
                required: true
                content: {application/json: {schema: {$ref: "#/components/schemas/Envelope"}}}
              responses: *createResponses
          /promotion-requests/{id}/executions:
            post:
              summary: Execute a ready request, signed by this server's key for the caller (releaser); a repeat answers the first execution.
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      properties:
                        status: {type: string, enum: [succeeded, failed]}
                        expectRing: {type: string, minLength: 1, maxLength: 1024}
                        expectRelease: {type: string, minLength: 1, maxLength: 1024}
              responses: *createResponses
          /rollback-requests:
            get:
              summary: Search rollback requests.
              parameters: *requestFilters
              responses: *pageResponses
            post:
              summary: Create a rollback request ({envelope} its requester signed, or fields for this server's key; releaser).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      oneOf:
                        - {$ref: "#/components/schemas/Submitted"}
                        - type: object
                          additionalProperties: false
                          required: [execution, toVersion, reason]
                          properties:
                            execution: {type: string, pattern: "^px-[0-9a-f]{24}$"}
                            toVersion: {type: string, minLength: 1, maxLength: 1024}
                            reason: {type: string, minLength: 1, maxLength: 1024}
                            expires: {$ref: "#/components/schemas/Duration"}
              responses: *createResponses
          /rollback-requests/{id}:
            get:
              summary: A rollback request, as /promotion-requests/{id}.
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: *requestResponses
          /rollback-requests/{id}/approvals:
            get:
              summary: The decisions on a rollback request so far.
              parameters: [{$ref: "#/components/parameters/id"}]
              responses: *approvalsResponses
            post:
              summary: Submit a signed decision on a rollback request (approver).
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody:
                required: true
                content: {application/json: {schema: {$ref: "#/components/schemas/Envelope"}}}
              responses: *createResponses
          /rollback-requests/{id}/executions:
            post:
              summary: Execute a ready rollback request (releaser).
              parameters: [{$ref: "#/components/parameters/id"}]
              requestBody:
                required: false
                content:
                  application/json:
                    schema:
                      type: object
                      additionalProperties: false
                      properties:
                        status: {type: string, enum: [succeeded, failed]}
              responses: *createResponses
          /promotion-executions:
            get:
              summary: Search executions (kind promotion-execution, the default, or rollback-execution).
              parameters:
                - {name: kind, in: query, schema: {type: string, enum: [promotion-execution, rollback-execution]}}
                - $ref: "#/components/parameters/status"
                - $ref: "#/components/parameters/environment"
                - $ref: "#/components/parameters/deployment_target"
                - $ref: "#/components/parameters/ring"
                - $ref: "#/components/parameters/execution_status"
                - $ref: "#/components/parameters/version"
                - $ref: "#/components/parameters/change_record"
                - $ref: "#/components/parameters/since"
                - $ref: "#/components/parameters/until"
                - $ref: "#/components/parameters/cursor"
                - $ref: "#/components/parameters/limit"
              responses: *pageResponses
          /promotion-executions/{id}:
            get:
              summary: An execution with its links (request, approvals, rollout, change record, previous ring, rollbacks).
              parameters: [{$ref: "#/components/parameters/id"}]
              responses:
                "200": {description: the execution, content: {application/json: {schema: {$ref: "#/components/schemas/ExecutionView"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /log/checkpoint:
            get:
              summary: The log's latest signed checkpoint (C2SP signed note).
              security: []
              responses:
                "200": {description: the checkpoint, content: {application/json: {schema: {$ref: "#/components/schemas/Checkpoint"}}}}
                "409": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /log/proof/{id}:
            get:
              summary: A record's inclusion proof under the latest checkpoint, with that checkpoint.
              parameters: [{$ref: "#/components/parameters/id"}]
              responses:
                "200": {description: the proof, content: {application/json: {schema: {type: object, required: [id, sha256, leafHash, inclusion, checkpoint]}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /audit/export:
            get:
              summary: Every record as an event.
              parameters:
                - {name: format, in: query, schema: {type: string, enum: [jsonl, cef, ocsf, servicenow], default: jsonl}}
                - $ref: "#/components/parameters/since"
              responses:
                "200":
                  description: one event per line
                  content:
                    application/x-ndjson: {schema: {type: string}}
                    text/plain: {schema: {type: string}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "429": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer, description: "hallmark serve token create --role viewer|releaser|approver|admin --name NAME"}
          parameters:
            id: {name: id, in: path, required: true, schema: {type: string, pattern: "^(ro|pr|pa|px|rr|rx)-[0-9a-f]{24}$"}}
            status: {name: status, in: query, schema: {type: string}}
            environment: {name: environment, in: query, schema: {type: string}}
            deployment_target: {name: deployment_target, in: query, schema: {type: string}}
            ring: {name: ring, in: query, schema: {type: string}}
            approval_state: {name: approval_state, in: query, schema: {type: string}}
            execution_status: {name: execution_status, in: query, schema: {type: string}}
            version: {name: version, in: query, schema: {type: string}}
            change_record: {name: change_record, in: query, schema: {type: string}}
            since: {name: since, in: query, schema: {$ref: "#/components/schemas/Time"}}
            until: {name: until, in: query, schema: {$ref: "#/components/schemas/Time"}}
            cursor: {name: cursor, in: query, schema: {type: integer, minimum: 0}, description: "the previous page's nextCursor"}
            limit: {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 50}}
          responses:
            Problem:
              description: RFC 9457 problem details
              content:
                application/problem+json:
                  schema: {$ref: "#/components/schemas/Problem"}
          schemas:
            Time:
              description: RFC 3339 (UTC), a date, or Unix seconds
              type: string
              pattern: "^([0-9]{1,10}|[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?)$"
            Duration:
              description: 30m, 24h, 7d (at most 90d)
              type: string
              pattern: "^[0-9]{1,4}[smhd]$"
            Problem:
              type: object
              required: [type, title, status, detail, code]
              properties:
                type: {type: string}
                title: {type: string}
                status: {type: integer}
                detail: {type: string}
                code: {type: string, description: "a problem code (promotion.stale, evidence.signature-invalid, …) or an error kind (usage, store, auth.role, …)"}
            Link:
              type: object
              required: [id, sha256]
              properties: {id: {type: string}, sha256: {type: string}}
            Hit:
              type: object
              required: [id, kind, logIndex, sha256, time, targets]
              properties:
                id: {type: string}
                kind: {type: string}
                logIndex: {type: integer}
                sha256: {type: string}
                time: {type: string}
                status: {type: string}
                environment: {type: string}
                ring: {type: string}
                approvalState: {type: string}
                executionStatus: {type: string}
                version: {type: string}
                changeRecord: {type: string}
                subject: {type: string}
                actor: {type: string}
                targets: {type: array, items: {type: string}}
            Page:
              type: object
              required: [schemaVersion, records]
              properties:
                schemaVersion: {type: integer}
                records: {type: array, items: {$ref: "#/components/schemas/Hit"}}
                nextCursor: {type: integer}
            Shown:
              type: object
              required: [id, kind, sha256, logIndex, verified, signer, statement, inclusion]
              properties:
                id: {type: string}
                kind: {type: string}
                sha256: {type: string}
                logIndex: {type: integer}
                verified: {type: boolean}
                signer: {type: object, required: [keyId, publicKey]}
                statement: {type: object}
                inclusion: {type: object, required: [treeSize, leafIndex, hashes]}
            Checkpoint:
              type: object
              required: [origin, treeSize, note]
              properties: {origin: {type: string}, treeSize: {type: integer}, note: {type: string}}
            Readiness:
              type: object
              required: [verdict, reasons, approvedBy]
              properties:
                verdict: {type: string, enum: [ready, blocked, incomplete, unverified]}
                required: {type: integer}
                approvedBy: {type: array, items: {type: string}}
                reasons:
                  type: array
                  items:
                    type: object
                    required: [check, ok, message]
                    properties: {check: {type: string}, ok: {type: boolean}, code: {type: string}, message: {type: string}}
            Artifacts:
              type: object
              required: [id, kind, deploymentId, files, readiness]
              properties:
                id: {type: string}
                kind: {type: string}
                deploymentId: {type: string}
                files:
                  type: array
                  items:
                    type: object
                    required: [name, sha256, integrity]
                    properties:
                      name: {type: string}
                      sha256: {type: string}
                      integrity: {type: string, enum: [verified, mismatch, missing, too-large]}
                      size: {type: integer}
                readiness: {type: array, items: {$ref: "#/components/schemas/Readiness"}}
            ChainEntry:
              type: object
              required: [id, kind, outcome, signerKeyId, time]
              properties:
                id: {type: string}
                kind: {type: string}
                outcome: {type: string}
                signerKeyId: {type: string}
                time: {type: string}
                comment: {type: string}
                actor: {type: string}
            RequestView:
              type: object
              required: [id, kind, sha256, logIndex, request, envelope, after, chain, approvers, readiness]
              properties:
                id: {type: string}
                kind: {type: string}
                sha256: {type: string}
                logIndex: {type: integer}
                request: {type: object}
                envelope: {type: string, description: "the request record's canonical DSSE envelope"}
                after: {$ref: "#/components/schemas/Link"}
                chain: {type: array, items: {$ref: "#/components/schemas/ChainEntry"}}
                approvers: {type: array, items: {type: string}}
                readiness: {$ref: "#/components/schemas/Readiness"}
                execution: {type: string}
            Approvals:
              type: object
              required: [request, approvals]
              properties:
                request: {type: string}
                required: {type: integer}
                approvals: {type: array, items: {$ref: "#/components/schemas/ChainEntry"}}
            ExecutionView:
              type: object
              required: [id, kind, sha256, logIndex, execution, links]
              properties:
                id: {type: string}
                kind: {type: string}
                sha256: {type: string}
                logIndex: {type: integer}
                execution: {type: object}
                links:
                  type: object
                  required: [request, approvals, rollout, changeRecord, rollbackRequests, rollbackExecutions]
                  properties:
                    request: {type: string}
                    approvals: {type: array, items: {type: string}}
                    rollout: {type: string}
                    changeRecord: {type: string}
                    previous: {type: string}
                    reverses: {type: string}
                    rollbackRequests: {type: array, items: {type: string}}
                    rollbackExecutions: {type: array, items: {type: string}}
            Created:
              type: object
              required: [id, kind, status, links, logIndex, existing]
              properties:
                id: {type: string}
                kind: {type: string}
                status: {type: string}
                links: {type: object, additionalProperties: {type: array, items: {type: string}}}
                logIndex: {type: integer}
                existing: {type: boolean}
            Envelope:
              type: object
              additionalProperties: false
              required: [payload, payloadType, signatures]
              properties:
                payload: {type: string, minLength: 1, pattern: "^[A-Za-z0-9+/=_-]+$"}
                payloadType: {type: string, const: application/vnd.in-toto+json}
                signatures:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items: {type: object, required: [sig], properties: {keyid: {type: string}, sig: {type: string, minLength: 1}}}
            Submitted:
              type: object
              additionalProperties: false
              required: [envelope]
              properties:
                envelope: {$ref: "#/components/schemas/Envelope"}

        """
}
