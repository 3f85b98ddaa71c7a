"""Operation declarations and their pydantic models -> a Swagger 2.0 document.

Schemas come from ``model_json_schema`` and are rewritten to what Swagger 2.0 (and Power
Platform) takes: ``$defs`` become ``definitions`` named by each model's title; an optional
field's ``anyOf [X, null]`` becomes X (with ``x-nullable`` in responses, where null is sent);
titles, defaults and ``additionalProperties`` go; integers are int32; a model marked
``x-inline`` is written in place instead of as a ``$ref``. Field metadata (x-ms-summary,
x-ms-visibility, x-ms-dynamic-values, descriptions) is carried on the fields (``doc``).

Error responses carry a description only: the flow designer uses one response schema per
operation (the Swagger Validator's OperationHasManyResponsesWithSchema), so the 2xx schema is
the one it shows (an async action's 202 keeps only its description and headers, the final 200
its schema); the error envelope is documented once, in the connector readme's error table.

Imported by the connector generator only (pydantic and every model module).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from .operations import Envelope, Operation, Reply, Schema

REF = "#/definitions/"
DROP = ("title", "default", "additionalProperties")
# The dynamic extensions that call another operation: each takes a ``parameters`` object, {} when
# the called operation needs none (the Swagger Validator expects it stated).
DYNAMIC = ("x-ms-dynamic-values", "x-ms-dynamic-list", "x-ms-dynamic-schema", "x-ms-dynamic-properties")
ERROR_TEXT = {  # short: repeated on every operation (the connector readme explains each error)
    400: "Invalid request: Error.Field and Error.Message say what to change.",
    401: "The API key is missing, wrong, expired or revoked.",
    404: "Not found in your account.",
    409: "Conflicts with the current state.",
    413: "The body is too large.",
    415: "The body is not of a supported type.",
    422: "Cannot be done as asked, such as a schedule in the past.",
    429: "Too many requests: retry after Retry-After seconds.",
}
RETRY_LATER = (409, 429)  # errors that say when to try again


def ref(name: str) -> Schema:
    return {"$ref": REF + name}


def prop(type_: str, summary: str, description: str, **extra: Any) -> Schema:
    return {"type": type_, "x-ms-summary": summary, "description": description, **extra}


class Document:
    """The definitions built so far, and the operations written into paths."""

    def __init__(self) -> None:
        self.definitions: dict[str, Schema] = {}
        self.paths: dict[str, Schema] = {}
        self._inline: dict[str, Schema] = {}

    # ------------------------------------------------------------ models

    def schema(self, model: type[BaseModel], *, response: bool) -> Schema:
        """A model's schema with its nested models registered as definitions (or inlined);
        returns the model's own schema, not a reference to it."""
        raw = model.model_json_schema(mode="serialization" if response else "validation",
                                      ref_template=REF + "{model}")
        defs = raw.pop("$defs", {})
        names = {key: d.get("title", key) for key, d in defs.items()}
        for key, d in defs.items():
            if d.get("x-inline"):
                self._inline[names[key]] = d
        for key, d in defs.items():
            if not d.get("x-inline"):
                self.definitions.setdefault(names[key], self._convert(d, names, response))
        return self._convert(raw, names, response)

    def model_ref(self, model: type[BaseModel]) -> Schema:
        """A $ref to the model's definition (its schema in place when it is marked inline)."""
        schema = self.schema(model, response=True)
        if schema.pop("x-inline", False):
            return schema
        name = model.model_config.get("title") or model.__name__
        self.definitions.setdefault(name, schema)
        return ref(name)

    def _convert(self, node: Any, names: dict[str, str], response: bool) -> Any:
        if isinstance(node, list):
            return [self._convert(x, names, response) for x in node]
        if not isinstance(node, dict):
            return node
        node = {k: v for k, v in node.items() if k not in DROP}
        nullable = False
        if "anyOf" in node:
            options = [o for o in node.pop("anyOf") if o != {"type": "null"}]
            nullable = response and "type" not in node
            if len(options) == 1 and "type" not in node:
                node = {**options[0], **node}
            elif "type" not in node:
                raise ValueError(f"no Swagger 2.0 type for {options}: give the field schema={{'type': ...}}")
        if "$ref" in node:
            name = names.get(node["$ref"][len(REF):], node["$ref"][len(REF):])
            node.pop("$ref")
            if name in self._inline:
                inline = {k: v for k, v in self._inline[name].items() if k != "x-inline"}
                node = {**self._convert(inline, names, response), **node}
            else:
                node = {"$ref": REF + name, **node}
        out: Schema = {}
        for key, value in node.items():
            if key == "properties":
                value = {name: self._convert(field, names, response) for name, field in value.items()}
            elif key == "items":
                value = self._convert(value, names, response)
            out[key] = value
        if out.get("type") == "integer":
            out.setdefault("format", "int32")
        if out.get("type") == "file":
            out.pop("format", None)
        if nullable:
            out["x-nullable"] = True
        return out

    # ------------------------------------------------------------ envelopes

    def envelope(self, op: Operation, env: Envelope) -> Schema:
        if env.name in self.definitions:
            return ref(env.name)
        item = self.model_ref(op.model(env.items)) if env.items else None
        if env.bare:
            self.definitions[env.name] = prop("array", env.summary, env.description, items=item)
            return ref(env.name)
        if item is not None:
            data = prop("array", "Items", env.description, items=item)
        else:
            data = self.model_ref(op.model(env.data))
            if "$ref" not in data:
                data["description"] = env.description
        props: dict[str, Schema] = {"Success": prop("boolean", "Success", "True when the action succeeded."),
                                    "Error": ref("Error"), "Data": data}
        if env.paged:
            props["NextLink"] = prop("string", "Next Page Link", "The URL of the next page, present when there is "
                                                                 "one (its skiptoken goes in Page Token).")
        self.definitions[env.name] = {"type": "object", "description": env.description, "properties": props,
                                      "required": ["Success", "Error", "Data"]}
        return ref(env.name)

    def response(self, op: Operation, reply: Reply) -> Schema:
        out: Schema = {"description": reply.description}
        if reply.body is not None:
            out["schema"] = self.envelope(op, reply.body)
        if reply.headers:
            out["headers"] = {k: dict(v) for k, v in reply.headers.items()}
        return out

    def error(self, status: int) -> Schema:
        out: Schema = {"description": ERROR_TEXT[status]}
        if status in RETRY_LATER:
            out["headers"] = {"Retry-After": {"type": "integer", "description": "Seconds to wait before retrying."}}
        return out

    # ------------------------------------------------------------ operations

    def parameters(self, op: Operation) -> list[Schema]:
        params: list[Schema] = []
        for name, p in op.path.items():
            param = {"name": name, "in": "path", "required": True, "type": "string", "x-ms-summary": p.summary,
                     "description": p.description, "x-ms-url-encoding": "single"}
            if p.dropdown:
                param["x-ms-dynamic-values"] = dict(p.dropdown)
            params.append(param)
        if op.query:
            params += self._fields(op.model(op.query), "query")
        body = op.doc_body or op.body
        if body and op.multipart:
            params += self._fields(op.model(body), "formData")
        elif body:
            schema = self.schema(op.model(body), response=False)
            schema.pop("description", None)  # a request model's docstring is for developers
            params.append({"name": "body", "in": "body", "required": True, "description": op.body_description,
                           "schema": schema})
        return params

    def _fields(self, model: type[BaseModel], where: str) -> list[Schema]:
        schema = self.schema(model, response=False)
        required = set(schema.get("required", []))
        return [{"name": name, "in": where, "required": name in required, **p}
                for name, p in schema["properties"].items()]

    def add(self, op: Operation) -> None:
        out: Schema = {"operationId": op.id, "summary": op.summary, "description": op.description}
        if op.visibility and op.visibility != "none":
            out["x-ms-visibility"] = op.visibility
        if op.multipart:
            out["consumes"] = ["multipart/form-data"]
        out["parameters"] = self.parameters(op)
        responses = {str(status): self.response(op, reply) for status, reply in sorted(op.replies.items())}
        for code in [c for c, r in responses.items() if "schema" in r][1:]:
            responses[code].pop("schema")  # an async 202's body: the designer shows the final 200's
        responses.update({str(code): self.error(code) for code in sorted(op.errors)})
        out["responses"] = responses
        out.update(op.extra)
        item = self.paths.setdefault(f"/api/{op.route}", {})
        if op.notification:
            content = self.schema(op.model(op.notification["schema"]), response=True)
            content.pop("description", None)
            item["x-ms-notification-content"] = {"description": op.notification["description"], "schema": content}
        item[op.method] = out


def with_dynamic_parameters(node: Any) -> Any:
    """``node`` with ``parameters: {}`` added to every dynamic extension that has none (the
    declarations state only the parameters a dropdown passes)."""
    if isinstance(node, list):
        return [with_dynamic_parameters(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: with_dynamic_parameters(v) for k, v in node.items()}
    for key in DYNAMIC:
        if isinstance(out.get(key), dict):
            out[key] = {**out[key], "parameters": out[key].get("parameters", {})}
    return out


def build_paths(operations: Iterable[Operation]) -> Document:
    doc = Document()
    for op in operations:
        if op.connector:
            doc.add(op)
    doc.paths = with_dynamic_parameters(doc.paths)
    doc.definitions = with_dynamic_parameters(doc.definitions)
    return doc
