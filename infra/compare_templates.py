"""Do two ARM templates deploy the same thing? The CI drift check between the "Deploy to Azure"
template (infra/azuredeploy.json, flat) and `az bicep build -f infra/main.bicep` (one nested
`Microsoft.Resources/deployments` per module).

    python3 infra/compare_templates.py infra/azuredeploy.json build/main.json

A text diff of the two can never pass: Bicep turns every module into a nested deployment with
its own parameters, variables and outputs. So both templates are *deployed on paper* instead:
nested deployments are flattened (their parameters bound to what the parent passes, module
outputs resolved), copy loops and conditions expanded, every ARM expression evaluated. What
only Azure knows at deployment time (subscription, resource group, uniqueString, reference()
to a resource's runtime properties) stays a named placeholder such as ``«rg»`` or
``«ref(<resource id>).principalId»``, so two templates agree only when they compute it the
same way. This runs for several parameter sets (SCENARIOS: defaults, every option set, a
re-deployment without the secret, no code package, invalid name prefixes that must fail)
and compares:

- parameters: names, types, defaults, allowed values, limits, descriptions;
- resources: the same set (type, name, scope) with the same apiVersion and the same evaluated
  body (properties, location, tags, sku, kind, identity, ...);
- outputs: names, types, descriptions and evaluated values;
- ordering, by what dependsOn guarantees rather than how it is spelled: in each template every
  resource that refers to another resource of the template (its id, its parent, a
  reference() to it) is deployed after it, every dependsOn entry names a resource of the
  template, and nothing reads a resource whose condition left it out.

Exit status: 0 the templates are equivalent, 1 they differ (each difference is printed),
2 the script met an ARM construct it does not model (it fails closed rather than guess).
Standard library only: it runs on any Python 3.10+ (CI uses the runner's python3).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------
# Parameter sets each template is deployed with. Project-specific: they switch on every
# optional branch of infra/main.bicep (conditions, optional settings) and include prefixes the
# template must reject. Values are placeholders, never real secrets.
# ---------------------------------------------------------------------------------------------
_SID = "AC" + "0" * 32
SCENARIOS: dict[str, dict[str, Any]] = {
    "required values only": {"twilioAccountSid": _SID, "twilioAuthToken": "token-placeholder-1"},
    "every option set": {
        "namePrefix": "Acme-Sms1",
        "location": "westeurope",
        "twilioAccountSid": "AC" + "1" * 32,
        "twilioAuthToken": "token-placeholder-2",
        "twilioMessagingServiceSid": "MG" + "2" * 32,
        "publicBaseUrl": "https://sms.example.com/",
        "smsProvider": "outbox",
        "adminPrincipalId": "00000000-0000-0000-0000-0000000000a1",
        "ciPrincipalId": "00000000-0000-0000-0000-0000000000c1",
        "maximumInstanceCount": 100,
        "instanceMemoryMB": 4096,
        "alwaysReady": [{"name": "http", "instanceCount": 1}],
        "packageUri": "https://example.com/builds/v1.2.3/released-package.zip",
    },
    "re-deployment without the token": {"twilioAccountSid": _SID, "twilioAuthToken": ""},
    "no code package": {"twilioAccountSid": _SID, "twilioAuthToken": "token-placeholder-3", "packageUri": ""},
    "prefix with a hyphen": {"namePrefix": "ab-c", "twilioAccountSid": _SID},
    "prefix with an underscore (must fail)": {"namePrefix": "ab_c", "twilioAccountSid": _SID},
    "prefix starting with a digit (must fail)": {"namePrefix": "1abc", "twilioAccountSid": _SID},
    "prefix ending with a hyphen (must fail)": {"namePrefix": "abc-", "twilioAccountSid": _SID},
    "prefix with a double hyphen (must fail)": {"namePrefix": "a--b", "twilioAccountSid": _SID},
}

SUB = "«sub»"
RG = "«rg»"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}"
DEPLOYMENTS = "microsoft.resources/deployments"
# Resource keys that are not part of what a resource *is* (compared separately or not at all).
NOT_BODY = {"type", "name", "apiVersion", "dependsOn", "copy", "condition", "comments", "scope",
            "existing", "metadata"}


class Unsupported(Exception):
    """An ARM construct this script does not model: exit 2, never a silent pass."""


class TemplateFailure(Exception):
    """The deployment would be rejected (fail(), a parameter outside its allowed values)."""


class Sym(str):
    """A value only Azure knows at deployment time, e.g. «ref(<id>).principalId»."""


def _is_sym(value: Any) -> bool:
    return isinstance(value, str) and "«" in value


def _render(value: Any) -> str:
    if isinstance(value, Sym):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _opaque(name: str, args: list[Any]) -> Sym:
    return Sym(f"«{name}({', '.join(_render(a) for a in args)})»")


# ---------------------------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<id>[A-Za-z_$][A-Za-z0-9_$]*)"
                    r"|(?P<punct>[()\[\],.]))")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise Unsupported(f"cannot parse expression near {text[pos:pos + 30]!r} in [{text}]")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


@cache
def parse_expression(text: str) -> Any:
    """The body of an ARM expression (without the brackets) as a small tree:
    ('str', s) ('num', n) ('call', name, [args]) ('prop', obj, name) ('index', obj, expr)."""
    toks = _tokens(text)
    pos = 0

    def peek(value: str | None = None) -> bool:
        return pos < len(toks) and (value is None or toks[pos][1] == value)

    def take(value: str | None = None) -> tuple[str, str]:
        nonlocal pos
        if pos >= len(toks) or (value is not None and toks[pos][1] != value):
            raise Unsupported(f"malformed expression [{text}]")
        pos += 1
        return toks[pos - 1]

    def primary() -> Any:
        kind, value = take()
        if kind == "str":
            return ("str", value[1:-1].replace("''", "'"))
        if kind == "num":
            return ("num", int(value))
        if kind == "id" and peek("("):
            take("(")
            args = []
            while not peek(")"):
                args.append(expression())
                if not peek(")"):
                    take(",")
            take(")")
            return ("call", value, args)
        raise Unsupported(f"unexpected {value!r} in [{text}]")

    def expression() -> Any:
        node = primary()
        while peek(".") or peek("["):
            if take()[1] == ".":
                node = ("prop", node, take()[1])
            else:
                node = ("index", node, expression())
                take("]")
        return node

    tree = expression()
    if pos != len(toks):
        raise Unsupported(f"trailing text in [{text}]")
    return tree


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("[") and value.endswith("]") and not value.startswith("[[")


# ---------------------------------------------------------------------------------------------
# Resource ids: one canonical spelling (types lower-cased, ARM treats them case-insensitively)
# ---------------------------------------------------------------------------------------------
def _split_segments(text: str) -> list[str]:
    """Split a resource name on '/', but not inside a placeholder («uniqueString('/sub...')»)."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "«") - (ch == "»")
        if ch == "/" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return parts + [current]


def _interleave(rtype: str, names: list[Any]) -> str:
    segments = rtype.split("/")
    namespace, types = segments[0], segments[1:]
    flat_names: list[str] = []
    for n in names:
        flat_names.extend(_split_segments(str(n)))
    if len(types) != len(flat_names):
        raise TemplateFailure(f"resource name {'/'.join(flat_names)!r} does not fit type {rtype!r}")
    parts = [namespace.lower()]
    for t, n in zip(types, flat_names, strict=True):
        parts += [t.lower(), n]
    return "/".join(parts)


def resource_id(rtype: str, names: list[Any], scope: str | None = None) -> str:
    base = scope if scope is not None else RG_ID
    return f"{base}/providers/{_interleave(rtype, names)}"


def _scope_to_id(scope: Any) -> str:
    scope = str(scope)
    if scope.startswith("/"):
        return scope
    # Bicep writes an extension resource's scope relative to the resource group:
    # 'Microsoft.KeyVault/vaults/<name>'.
    parts = _split_segments(scope)
    rtype = "/".join([parts[0]] + parts[1::2])
    return resource_id(rtype, parts[2::2])


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------
@dataclass
class Instance:
    """One resource (or nested deployment) of one template after loops and conditions."""

    scope: Scope
    raw: dict[str, Any]
    symbol: str | None
    copy_name: str | None
    copy: dict[str, int]
    rtype: str
    name: Any
    rid: str
    deployed: bool
    body: dict[str, Any] | None = None
    api_version: str | None = None
    depends_on: list[Instance] = field(default_factory=list)
    child: Scope | None = None
    building: bool = False
    existing: bool = False  # an `existing` reference (languageVersion 2.0): never deployed here

    @property
    def is_deployment(self) -> bool:
        return self.rtype.lower() == DEPLOYMENTS

    @property
    def key(self) -> str:
        return self.rid.lower()

    def label(self) -> str:
        return f"{self.rtype} {self.name}"


class Scope:
    """One template being evaluated: the top level, or a nested deployment's inner template."""

    def __init__(self, template: dict[str, Any], params: dict[str, Any] | None, where: str,
                 parent: Scope | None = None, deployment_name: Any = None) -> None:
        """params None: a bare scope (only for evaluating parameter defaults on their own)."""
        if template.get("functions"):
            raise Unsupported(f"{where}: user-defined functions")
        self.template = template
        self.where = where
        self.parent = parent
        self.deployment_name = deployment_name if deployment_name is not None else Sym("«deployment.name»")
        self.params: dict[str, Any] = {}
        self._vars: dict[str, Any] = {}
        self._evaluating: set[str] = set()
        self.instances: list[Instance] = []
        self._outputs: dict[str, Any] | None = None
        if params is not None:
            self._bind_parameters(params)
            self._expand()

    def _bind_parameters(self, given: dict[str, Any]) -> None:
        declared = self.template.get("parameters", {})
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise TemplateFailure(f"{self.where}: parameters not declared by the template: {unknown}")
        for name, decl in declared.items():
            if "$ref" in decl:
                raise Unsupported(f"{self.where}: parameter {name} has a user-defined type")
            if name in given:
                value = given[name]
            elif "defaultValue" in decl:
                value = self.eval(decl["defaultValue"], {})  # may use the parameters bound so far
            else:
                raise TemplateFailure(f"{self.where}: required parameter {name} has no value")
            _check_parameter(name, decl, value, self.where)
            self.params[name] = value

    # -- values
    def variable(self, name: str) -> Any:
        if name in self._vars:
            return self._vars[name]
        if name in self._evaluating:
            raise Unsupported(f"{self.where}: variable {name} refers to itself")
        variables = self.template.get("variables", {})
        self._evaluating.add(name)
        try:
            loops = {c["name"]: c for c in variables.get("copy", [])}
            if name in loops:
                loop = loops[name]
                count = self.eval(loop["count"], {})
                value = [self.eval(loop["input"], {name: i}, current=name) for i in range(count)]
            elif name in variables and name != "copy":
                value = self.eval(variables[name], {})
            else:
                raise TemplateFailure(f"{self.where}: variables('{name}') is not declared")
        finally:
            self._evaluating.discard(name)
        self._vars[name] = value
        return value

    def eval(self, value: Any, copy: dict[str, int], current: str | None = None) -> Any:
        """Evaluate a template value: expressions in strings (and object keys), recursively."""
        if isinstance(value, str):
            if value.startswith("[["):
                return value[1:]
            if _is_expression(value):
                return Evaluator(self, copy, current).run(parse_expression(value[1:-1]))
            return value
        if isinstance(value, list):
            return [self.eval(v, copy, current) for v in value]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for k, v in value.items():
                if k == "copy" and isinstance(v, list):  # property loops
                    for loop in v:
                        n = loop["name"]
                        count = self.eval(loop["count"], copy, current)
                        out[n] = [self.eval(loop["input"], {**copy, n: i}, n) for i in range(count)]
                    continue
                key = self.eval(k, copy, current)
                out[str(key)] = self.eval(v, copy, current)
            return out
        return value

    # -- resources
    def _raw_resources(self) -> Iterator[tuple[str | None, dict[str, Any]]]:
        resources = self.template.get("resources", [])
        if isinstance(resources, dict):  # languageVersion 2.0: symbolic names
            yield from resources.items()
        else:
            for r in resources:
                yield None, r

    def _expand(self) -> None:
        for symbol, raw in self._raw_resources():
            if raw.get("resources"):
                raise Unsupported(f"{self.where}: child resources nested inside {raw.get('type')}")
            loop = raw.get("copy")
            if loop is None:
                runs: list[tuple[str | None, dict[str, int]]] = [(None, {})]
            else:
                count = self.eval(loop["count"], {})
                runs = [(loop["name"], {loop["name"]: i}) for i in range(count)]
            for copy_name, copy in runs:
                current = copy_name
                rtype = raw["type"]
                name = self.eval(raw["name"], copy, current)
                scope_id = _scope_to_id(self.eval(raw["scope"], copy, current)) if "scope" in raw else None
                if raw.get("existing"):
                    deployed = False
                else:
                    cond = self.eval(raw.get("condition", True), copy, current)
                    if _is_sym(cond):
                        raise Unsupported(f"{self.where}: condition of {rtype} {name} is only known at deployment time")
                    deployed = bool(cond)
                self.instances.append(Instance(self, raw, symbol, copy_name, copy, rtype, name,
                                               resource_id(rtype, [name], scope_id), deployed,
                                               existing=bool(raw.get("existing"))))

    def find(self, rid: str) -> Instance | None:
        key = rid.lower()
        for inst in self.instances:
            if inst.key == key and not inst.existing:
                return inst
        return None

    def by_symbol(self, symbol: str) -> Instance | None:
        return next((i for i in self.instances if i.symbol == symbol), None)

    def child_of(self, inst: Instance) -> Scope:
        """The nested deployment's inner template, its parameters bound (built on first use)."""
        if inst.child is not None:
            return inst.child
        props = inst.raw.get("properties", {})
        if "templateLink" in props or "template" not in props:
            raise Unsupported(f"{self.where}: deployment {inst.name} without an inline template")
        if "resourceGroup" in inst.raw or "subscriptionId" in inst.raw:
            raise Unsupported(f"{self.where}: deployment {inst.name} into another scope")
        inner = props.get("expressionEvaluationOptions", {}).get("scope", "outer").lower() == "inner"
        if not inner:
            raise Unsupported(f"{self.where}: deployment {inst.name} with outer expression scope")
        if inst.building:
            raise Unsupported(f"{self.where}: deployment {inst.name} depends on its own outputs")
        inst.building = True
        try:
            values = {}
            for pname, pvalue in props.get("parameters", {}).items():
                if "value" not in pvalue:
                    raise Unsupported(f"{self.where}: deployment {inst.name} parameter {pname} is not a value")
                values[pname] = self.eval(pvalue["value"], inst.copy, inst.copy_name)
            inst.child = Scope(props["template"], values, f"{self.where} > {inst.name}", self, inst.name)
        finally:
            inst.building = False
        return inst.child

    def outputs(self) -> dict[str, Any]:
        if self._outputs is None:
            out = {}
            for name, decl in self.template.get("outputs", {}).items():
                if not self.eval(decl.get("condition", True), {}):
                    continue
                if "copy" in decl:
                    loop = decl["copy"]
                    count = self.eval(loop["count"], {})
                    value = [self.eval(loop["input"], {"": i}, "") for i in range(count)]
                else:
                    value = self.eval(decl["value"], {})
                out[name] = {"type": decl.get("type"), "value": value}
            self._outputs = out
        return self._outputs


def _check_parameter(name: str, decl: dict[str, Any], value: Any, where: str) -> None:
    """ARM's own parameter validation (allowed values, lengths, ranges)."""
    if _is_sym(value):
        return
    allowed = decl.get("allowedValues")
    if allowed is not None and value not in allowed:
        raise TemplateFailure(f"{where}: parameter {name} = {value!r} is not one of {allowed}")
    if isinstance(value, (str, list)):
        if "minLength" in decl and len(value) < decl["minLength"]:
            raise TemplateFailure(f"{where}: parameter {name} is shorter than {decl['minLength']}")
        if "maxLength" in decl and len(value) > decl["maxLength"]:
            raise TemplateFailure(f"{where}: parameter {name} is longer than {decl['maxLength']}")
    if isinstance(value, int) and not isinstance(value, bool):
        if "minValue" in decl and value < decl["minValue"]:
            raise TemplateFailure(f"{where}: parameter {name} is below {decl['minValue']}")
        if "maxValue" in decl and value > decl["maxValue"]:
            raise TemplateFailure(f"{where}: parameter {name} is above {decl['maxValue']}")


def _equal_ci(a: Any, b: Any) -> bool:
    return a.lower() == b.lower() if isinstance(a, str) and isinstance(b, str) else a == b


def _deep_union(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _deep_union(out[k], v) if k in out else v
        return out
    return b


def _format(fmt: str, args: list[Any]) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        index = int(m.group(1))
        if m.group(2):
            raise Unsupported(f"format specifier {m.group(0)}")
        value = args[index]
        if isinstance(value, bool):
            return "True" if value else "False"
        return value if isinstance(value, str) else _render(value)
    return re.sub(r"\{\{|\}\}|\{(\d+)(:[^}]*)?\}", repl, fmt)


def _as_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Evaluator:
    """Evaluates one expression tree in a scope (with the copy-loop indexes in effect)."""

    def __init__(self, scope: Scope, copy: dict[str, int], current: str | None) -> None:
        self.scope, self.copy, self.current = scope, copy, current

    def run(self, node: Any) -> Any:
        kind = node[0]
        if kind in ("str", "num"):
            return node[1]
        if kind == "prop":
            return self._prop(self.run(node[1]), node[2])
        if kind == "index":
            return self._index(self.run(node[1]), self.run(node[2]))
        name = node[1].lower()
        args = node[2]
        lazy = {"if": self._if, "and": self._and, "or": self._or, "coalesce": self._coalesce}
        if name in lazy:
            return lazy[name](args)
        values = [self.run(a) for a in args]
        fn = _FUNCTIONS.get(name)
        if fn is None:
            raise Unsupported(f"{self.scope.where}: ARM function {node[1]}() is not modelled")
        return fn(self, values)

    # -- access
    def _prop(self, obj: Any, name: str) -> Any:
        if isinstance(obj, Sym):
            text = str(obj)
            m = re.fullmatch(r"«ref-full\((.*)\)»", text)
            if m and name.lower() == "properties":
                return Sym(f"«ref({m.group(1)})»")
            return Sym(text[:-1] + "." + name + "»")
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k.lower() == name.lower():
                    return v
            raise TemplateFailure(f"{self.scope.where}: property {name} not found in {sorted(obj)}")
        raise TemplateFailure(f"{self.scope.where}: .{name} of {_render(obj)}")

    def _index(self, obj: Any, index: Any) -> Any:
        if isinstance(obj, Sym) or _is_sym(index):
            if isinstance(obj, Sym):
                return Sym(str(obj)[:-1] + f"[{_render(index)}]»")
            return _opaque("index", [obj, index])
        if isinstance(obj, list):
            if not isinstance(index, int) or not 0 <= index < len(obj):
                raise TemplateFailure(f"{self.scope.where}: index {index!r} out of range")
            return obj[index]
        if isinstance(obj, dict):
            return self._prop(obj, str(index))
        raise TemplateFailure(f"{self.scope.where}: cannot index {_render(obj)}")

    # -- short-circuit functions
    def _if(self, args: list[Any]) -> Any:
        cond = self.run(args[0])
        if _is_sym(cond):
            branches = []
            for a in args[1:]:
                try:
                    branches.append(self.run(a))
                except TemplateFailure:
                    branches.append(Sym("«fail»"))
            return _opaque("if", [cond, *branches])
        return self.run(args[1] if cond else args[2])

    def _and(self, args: list[Any]) -> Any:
        pending = []
        for a in args:
            v = self.run(a)
            if v is False:
                return False
            if _is_sym(v):
                pending.append(v)
        return _opaque("and", pending) if pending else True

    def _or(self, args: list[Any]) -> Any:
        pending = []
        for a in args:
            v = self.run(a)
            if v is True:
                return True
            if _is_sym(v):
                pending.append(v)
        return _opaque("or", pending) if pending else False

    def _coalesce(self, args: list[Any]) -> Any:
        for a in args:
            v = self.run(a)
            if v is not None:
                return v
        return None

    # -- scope functions
    def copy_index(self, args: list[Any]) -> int:
        offset, loop = 0, self.current
        for a in args:
            if isinstance(a, int):
                offset = a
            else:
                loop = a
        if loop is None or loop not in self.copy:
            raise TemplateFailure(f"{self.scope.where}: copyIndex() outside a copy loop")
        return self.copy[loop] + offset

    def reference(self, args: list[Any]) -> Any:
        target = args[0]
        full = len(args) > 2 and str(args[2]).lower() == "full"
        if isinstance(target, str) and not target.startswith("/"):
            inst = self.scope.by_symbol(target)  # languageVersion 2.0: reference('symbol')
            if inst is None:
                raise Unsupported(f"{self.scope.where}: reference({target!r})")
            target = inst.rid
            full = full or len(args) == 1
        inst = self.scope.find(str(target))
        if inst is not None and inst.is_deployment:
            outputs = self.scope.child_of(inst).outputs()
            return {"outputs": outputs}
        return Sym(f"«{'ref-full' if full else 'ref'}({target})»")


def _strings(fn: Callable[..., Any], name: str) -> Callable[[Evaluator, list[Any]], Any]:
    """A function that can only be computed on known values; otherwise stays a placeholder."""
    def call(ev: Evaluator, args: list[Any]) -> Any:
        if any(_is_sym(a) for a in args):
            return _opaque(name, args)
        return fn(*args)
    return call


def _empty(v: Any) -> Any:
    if _is_sym(v):
        return _opaque("empty", [v])
    return v is None or v == "" or v == [] or v == {}


def _contains(container: Any, item: Any) -> Any:
    if _is_sym(item) or (isinstance(container, str) and _is_sym(container)):
        return _opaque("contains", [container, item])
    if isinstance(container, dict):
        return any(k.lower() == str(item).lower() for k in container)
    return item in container


def _equals(a: Any, b: Any) -> Any:
    if a == b:
        return True
    if _is_sym(a) or _is_sym(b):
        return _opaque("equals", [a, b])
    return False


def _not(v: Any) -> Any:
    return _opaque("not", [v]) if _is_sym(v) else not v


def _take(v: Any, n: int) -> Any:
    return v[:max(n, 0)]


def _skip(v: Any, n: int) -> Any:
    return v[max(n, 0):]


def _substring(s: str, start: int, length: int | None = None) -> str:
    if start < 0 or start > len(s) or (length is not None and (length < 0 or start + length > len(s))):
        raise TemplateFailure(f"substring({s!r}, {start}, {length}) is out of range")
    return s[start:] if length is None else s[start:start + length]


def _split(s: str, delimiters: Any) -> list[str]:
    delims = delimiters if isinstance(delimiters, list) else [delimiters]
    if not delims or any(d == "" for d in delims):
        raise TemplateFailure("split() with an empty delimiter")
    return re.split("|".join(re.escape(d) for d in sorted(delims, key=len, reverse=True)), s)


def _union(*items: Any) -> Any:
    if all(isinstance(i, dict) for i in items):
        out: dict[str, Any] = {}
        for i in items:
            out = _deep_union(out, i)
        return out
    if all(isinstance(i, list) for i in items):
        out_list: list[Any] = []
        for i in items:
            out_list += [x for x in i if x not in out_list]
        return out_list
    raise TemplateFailure("union() of mixed types")


def _concat(*items: Any) -> Any:
    if items and all(isinstance(i, list) for i in items):
        return [x for i in items for x in i]
    return "".join(_as_string(i) for i in items)


def _first(v: Any) -> Any:
    if _is_sym(v):
        return _opaque("first", [v])
    return v[0] if v else None


def _last(v: Any) -> Any:
    if _is_sym(v):
        return _opaque("last", [v])
    return v[-1] if v else None


def _length(v: Any) -> Any:
    return _opaque("length", [v]) if _is_sym(v) else len(v)


def _join(items: list[Any], delimiter: str) -> Any:
    if any(_is_sym(i) for i in items) or _is_sym(delimiter):
        return _opaque("join", [items, delimiter])
    return delimiter.join(_as_string(i) for i in items)


def _fail(ev: Evaluator, args: list[Any]) -> Any:
    raise TemplateFailure(f"fail(): {args[0] if args else ''}")


def _resource_id(ev: Evaluator, args: list[Any]) -> str:
    i = next((n for n, a in enumerate(args) if isinstance(a, str) and "/" in a and "." in a.split("/")[0]), None)
    if i is None:
        raise TemplateFailure(f"resourceId({args}) has no resource type")
    if i == 0:
        base = RG_ID
    elif i == 1:
        base = f"/subscriptions/{SUB}/resourceGroups/{args[0]}"
    else:
        base = f"/subscriptions/{args[0]}/resourceGroups/{args[1]}"
    return resource_id(args[i], args[i + 1:], base)


def _subscription_resource_id(ev: Evaluator, args: list[Any]) -> str:
    sub = args[0] if len(args) > 2 and "/" not in str(args[0]) else SUB
    rest = args[1:] if sub is not SUB else args
    return resource_id(rest[0], rest[1:], f"/subscriptions/{sub}")


def _extension_resource_id(ev: Evaluator, args: list[Any]) -> str:
    return resource_id(args[1], args[2:], str(args[0]))


def _tenant_resource_id(ev: Evaluator, args: list[Any]) -> str:
    return "/providers/" + _interleave(args[0], args[1:])


_FUNCTIONS: dict[str, Callable[[Evaluator, list[Any]], Any]] = {
    "parameters": lambda ev, a: ev.scope.params[a[0]] if a[0] in ev.scope.params else _missing(ev, "parameters", a[0]),
    "variables": lambda ev, a: ev.scope.variable(a[0]),
    "copyindex": lambda ev, a: ev.copy_index(a),
    "reference": lambda ev, a: ev.reference(a),
    "resourceid": _resource_id,
    "subscriptionresourceid": _subscription_resource_id,
    "extensionresourceid": _extension_resource_id,
    "tenantresourceid": _tenant_resource_id,
    "resourcegroup": lambda ev, a: {"id": RG_ID, "name": Sym(RG), "location": Sym("«rg.location»"),
                                     "type": "Microsoft.Resources/resourceGroups"},
    "subscription": lambda ev, a: {"id": f"/subscriptions/{SUB}", "subscriptionId": Sym(SUB),
                                    "tenantId": Sym("«tenant»"), "displayName": Sym("«sub.displayName»")},
    "tenant": lambda ev, a: {"tenantId": Sym("«tenant»"), "countryCode": Sym("«tenant.countryCode»")},
    "deployment": lambda ev, a: {"name": ev.scope.deployment_name},
    "deployer": lambda ev, a: {"objectId": Sym("«deployer.objectId»"), "tenantId": Sym("«tenant»"),
                               "userPrincipalName": Sym("«deployer.userPrincipalName»")},
    "environment": lambda ev, a: {"name": Sym("«environment().name»"),
                                  "authentication": {"loginEndpoint": Sym("«environment().authentication.loginEndpoint»")}},
    "uniquestring": lambda ev, a: _opaque("uniqueString", a),
    "guid": lambda ev, a: _opaque("guid", a),
    "newguid": lambda ev, a: _opaque("newGuid", a),
    "utcnow": lambda ev, a: _opaque("utcNow", a),
    "fail": _fail,
    "null": lambda ev, a: None,
    "true": lambda ev, a: True,
    "false": lambda ev, a: False,
    "format": lambda ev, a: _format(a[0], a[1:]),
    "concat": lambda ev, a: _concat(*a),
    "createobject": lambda ev, a: {str(a[i]): a[i + 1] for i in range(0, len(a), 2)},
    "createarray": lambda ev, a: list(a),
    "union": lambda ev, a: _union(*a),
    "empty": lambda ev, a: _empty(a[0]),
    "not": lambda ev, a: _not(a[0]),
    "equals": lambda ev, a: _equals(a[0], a[1]),
    "contains": lambda ev, a: _contains(a[0], a[1]),
    "length": lambda ev, a: _length(a[0]),
    "first": lambda ev, a: _first(a[0]),
    "last": lambda ev, a: _last(a[0]),
    "join": lambda ev, a: _join(a[0], a[1]),
    "tolower": _strings(str.lower, "toLower"),
    "toupper": _strings(str.upper, "toUpper"),
    "trim": _strings(str.strip, "trim"),
    "take": _strings(_take, "take"),
    "skip": _strings(_skip, "skip"),
    "replace": _strings(lambda s, old, new: s.replace(old, new), "replace"),
    "split": _strings(_split, "split"),
    "substring": _strings(_substring, "substring"),
    "startswith": _strings(lambda s, p: s.lower().startswith(p.lower()), "startsWith"),
    "endswith": _strings(lambda s, p: s.lower().endswith(p.lower()), "endsWith"),
    "indexof": _strings(lambda s, p: s.lower().find(p.lower()), "indexOf"),
    "lastindexof": _strings(lambda s, p: s.lower().rfind(p.lower()), "lastIndexOf"),
    "string": _strings(_as_string, "string"),
    "int": _strings(int, "int"),
    "bool": _strings(lambda v: v if isinstance(v, bool) else str(v).lower() == "true", "bool"),
    "json": _strings(json.loads, "json"),
    "add": _strings(lambda a, b: a + b, "add"),
    "sub": _strings(lambda a, b: a - b, "sub"),
    "mul": _strings(lambda a, b: a * b, "mul"),
    "div": _strings(lambda a, b: int(a / b), "div"),
    "mod": _strings(lambda a, b: a % b, "mod"),
    "min": _strings(lambda *v: min(v[0]) if len(v) == 1 and isinstance(v[0], list) else min(v), "min"),
    "max": _strings(lambda *v: max(v[0]) if len(v) == 1 and isinstance(v[0], list) else max(v), "max"),
    "range": _strings(lambda start, count: list(range(start, start + count)), "range"),
    "less": _strings(lambda a, b: a < b, "less"),
    "lessorequals": _strings(lambda a, b: a <= b, "lessOrEquals"),
    "greater": _strings(lambda a, b: a > b, "greater"),
    "greaterorequals": _strings(lambda a, b: a >= b, "greaterOrEquals"),
}


def _missing(ev: Evaluator, fn: str, name: str) -> Any:
    raise TemplateFailure(f"{ev.scope.where}: {fn}('{name}') is not declared")


# ---------------------------------------------------------------------------------------------
# Deploying on paper
# ---------------------------------------------------------------------------------------------
@dataclass
class Deployed:
    """What one template deploys with one parameter set, flattened."""

    resources: dict[str, Instance]          # key: canonical resource id (lower-case)
    outputs: dict[str, Any]
    problems: list[str]                      # ordering / dependsOn problems inside the template


def deploy(template: dict[str, Any], params: dict[str, Any], label: str = "template") -> Deployed:
    """Flatten a template for a parameter set. Raises TemplateFailure when ARM would reject it."""
    top = Scope(template, params, label)
    leaves: dict[str, Instance] = {}
    skipped: dict[str, Instance] = {}
    problems: list[str] = []

    def walk(scope: Scope) -> None:
        for inst in scope.instances:
            if inst.existing:
                continue
            if not inst.deployed:
                skipped.setdefault(inst.key, inst)
                continue
            inst.api_version = inst.raw.get("apiVersion")
            inst.depends_on = _resolve_depends_on(scope, inst, problems)
            if inst.is_deployment:
                walk(scope.child_of(inst))
                continue
            inst.body = {k: scope.eval(v, inst.copy, inst.copy_name)
                         for k, v in inst.raw.items() if k not in NOT_BODY}
            if inst.key in leaves:
                problems.append(f"{scope.where}: {inst.label()} is declared twice")
            leaves[inst.key] = inst

    walk(top)
    outputs = top.outputs()
    problems += _ordering_problems(leaves, skipped)
    return Deployed(leaves, outputs, problems)


def _resolve_depends_on(scope: Scope, inst: Instance, problems: list[str]) -> list[Instance]:
    found: list[Instance] = []
    for entry in inst.raw.get("dependsOn", []):
        value = str(scope.eval(entry, inst.copy, inst.copy_name))
        if value.startswith("/"):
            matches = [i for i in scope.instances if i.key == value.lower() and not i.existing]
        else:
            matches = [i for i in scope.instances
                       if not i.existing and value in (i.copy_name, i.symbol, str(i.name))]
        if not matches:
            problems.append(f"{scope.where}: {inst.label()} dependsOn {value!r}, which is no resource of the template")
        found += [m for m in matches if m.deployed]
    return found


def _before(inst: Instance, memo: dict[int, frozenset[str]]) -> frozenset[str]:
    """Resource keys guaranteed complete before `inst` starts."""
    if id(inst) in memo:
        return memo[id(inst)]
    memo[id(inst)] = frozenset()  # cycle guard (ARM would reject a cycle anyway)
    result: set[str] = set()
    for dep in inst.depends_on:
        result |= _done(dep, memo)
    owner = _owner(inst)
    if owner is not None:
        result |= _before(owner, memo)
    memo[id(inst)] = frozenset(result)
    return memo[id(inst)]


def _done(inst: Instance, memo: dict[int, frozenset[str]]) -> set[str]:
    """Resource keys complete once `inst` is: itself (a nested deployment: all it holds)."""
    out = set(_before(inst, memo))
    if inst.is_deployment and inst.child is not None:
        for child in inst.child.instances:
            if child.deployed and not child.existing:
                out |= _done(child, memo)
    elif not inst.is_deployment:
        out.add(inst.key)
    return out


def _owner(inst: Instance) -> Instance | None:
    parent = inst.scope.parent
    if parent is None:
        return None
    return next(i for i in parent.instances if i.child is inst.scope)


def _all_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _all_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _all_strings(v)


def _mentions(low: str, key: str) -> bool:
    """Whether lower-cased text names the resource id `key` (lower-cased) as a whole id."""
    start = low.find(key)
    while start != -1:
        end = start + len(key)
        if end == len(low) or not (low[end].isalnum() or low[end] in "-_"):
            return True
        start = low.find(key, start + 1)
    return False


def _ordering_problems(leaves: dict[str, Instance], skipped: dict[str, Instance]) -> list[str]:
    problems: list[str] = []
    memo: dict[int, frozenset[str]] = {}
    for inst in leaves.values():
        text = "\n".join([str(inst.name), inst.rid, *_all_strings(inst.body)]).lower()
        before = _before(inst, memo)
        for other in leaves.values():
            if other is inst:
                continue
            parent = inst.key.startswith(other.key + "/")
            if (parent or _mentions(text, other.key)) and other.key not in before:
                why = "is its parent" if parent else "is referred to"
                problems.append(f"{inst.scope.where}: {inst.label()} can start before {other.label()}, which {why}"
                                " (add it to dependsOn)")
        for gone in skipped.values():
            if gone.key in leaves:
                continue
            if f"«ref({gone.key})" in text or f"«ref-full({gone.key})" in text:
                problems.append(f"{inst.scope.where}: {inst.label()} reads {gone.label()}, which its condition "
                                "leaves out of this deployment")
    return problems


# ---------------------------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------------------------
def _diff(a: Any, b: Any, path: str, names: tuple[str, str]) -> Iterator[str]:
    na, nb = names
    if isinstance(a, dict) and isinstance(b, dict):
        keys = {k.lower(): k for k in a} | {k.lower(): k for k in b}
        for low in sorted(keys):
            ka = next((k for k in a if k.lower() == low), None)
            kb = next((k for k in b if k.lower() == low), None)
            sub = f"{path}.{keys[low]}" if path else keys[low]
            if ka is None:
                yield f"{sub}: only in {nb} ({_short(b[kb])})"
            elif kb is None:
                yield f"{sub}: only in {na} ({_short(a[ka])})"
            else:
                yield from _diff(a[ka], b[kb], sub, names)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} items in {na}, {len(b)} in {nb} ({na}: {_short(a)}; {nb}: {_short(b)})"
        else:
            for n, (x, y) in enumerate(zip(a, b, strict=True)):
                yield from _diff(x, y, f"{path}[{n}]", names)
    elif a != b or (type(a) is not type(b) and not (isinstance(a, str) and isinstance(b, str))):
        yield f"{path}: {na} has {_short(a)}, {nb} has {_short(b)}"


def _short(value: Any) -> str:
    text = _render(value)
    return text if len(text) <= 160 else text[:157] + "..."


def compare_parameters(a: dict[str, Any], b: dict[str, Any], names: tuple[str, str]) -> list[str]:
    out = []
    pa, pb = a.get("parameters", {}), b.get("parameters", {})
    for name in sorted(set(pa) | set(pb)):
        if name not in pa or name not in pb:
            out.append(f"parameter {name}: only in {names[0] if name in pa else names[1]}")
            continue
        da, db = _normalize_param(a, pa[name]), _normalize_param(b, pb[name])
        out += [f"parameter {name}: {d}" for d in _diff(da, db, "", names)]
    return out


def _normalize_param(template: dict[str, Any], decl: dict[str, Any]) -> dict[str, Any]:
    out = dict(decl)
    out["type"] = str(decl.get("type", "")).lower()
    if "defaultValue" in out and _is_expression(out["defaultValue"]):
        out["defaultValue"] = Scope(template, None, "defaults").eval(out["defaultValue"], {})
    return out


def compare_output_declarations(a: dict[str, Any], b: dict[str, Any], names: tuple[str, str]) -> list[str]:
    out = []
    oa, ob = a.get("outputs", {}), b.get("outputs", {})
    for name in sorted(set(oa) | set(ob)):
        if name not in oa or name not in ob:
            out.append(f"output {name}: only in {names[0] if name in oa else names[1]}")
            continue
        if str(oa[name].get("type")).lower() != str(ob[name].get("type")).lower():
            out.append(f"output {name}: type {oa[name].get('type')} in {names[0]}, "
                       f"{ob[name].get('type')} in {names[1]}")
        da = oa[name].get("metadata", {}).get("description")
        db = ob[name].get("metadata", {}).get("description")
        if da != db:
            out.append(f"output {name}: description {da!r} in {names[0]}, {db!r} in {names[1]}")
    return out


def compare_scenario(a: dict[str, Any], b: dict[str, Any], params: dict[str, Any],
                     names: tuple[str, str] = ("A", "B")) -> list[str]:
    """Differences between what the two templates deploy with one parameter set."""
    results: list[Deployed | str] = []
    for template, label in ((a, names[0]), (b, names[1])):
        usable = {k: v for k, v in params.items() if k in template.get("parameters", {})}
        try:
            results.append(deploy(template, usable, label))
        except TemplateFailure as failure:
            results.append(str(failure))
    ra, rb = results
    if isinstance(ra, str) and isinstance(rb, str):
        return []  # both rejected: equivalent (the messages may word it differently)
    if isinstance(ra, str) or isinstance(rb, str):
        rejected, accepted, why = (names[0], names[1], ra) if isinstance(ra, str) else (names[1], names[0], rb)
        return [f"{rejected} is rejected ({why}); {accepted} deploys"]
    out = list(ra.problems) + list(rb.problems)
    for key in sorted(set(ra.resources) | set(rb.resources)):
        ia, ib = ra.resources.get(key), rb.resources.get(key)
        if ia is None or ib is None:
            present = ia or ib
            out.append(f"resource {present.label()}: only in {names[0] if ia else names[1]}")
            continue
        label = f"resource {ia.label()}"
        if not _equal_ci(ia.rtype, ib.rtype):
            out.append(f"{label}: type {ia.rtype} in {names[0]}, {ib.rtype} in {names[1]}")
        if ia.api_version != ib.api_version:
            out.append(f"{label}: apiVersion {ia.api_version} in {names[0]}, {ib.api_version} in {names[1]}")
        out += [f"{label}: {d}" for d in _diff(ia.body, ib.body, "", names)]
    for name in sorted(set(ra.outputs) & set(rb.outputs)):
        out += [f"output {name}: {d}" for d in _diff(ra.outputs[name]["value"], rb.outputs[name]["value"],
                                                      "value", names)]
    for name in sorted(set(ra.outputs) ^ set(rb.outputs)):
        out.append(f"output {name}: produced only by {names[0] if name in ra.outputs else names[1]}")
    return out


def compare(a: dict[str, Any], b: dict[str, Any], scenarios: dict[str, dict[str, Any]] | None = None,
            names: tuple[str, str] = ("A", "B")) -> list[str]:
    """Every difference between what two templates deploy, as readable lines ([] = equivalent)."""
    problems = []
    for template, label in ((a, names[0]), (b, names[1])):
        schema = str(template.get("$schema", ""))
        if not schema.endswith("/deploymentTemplate.json#"):
            problems.append(f"{label}: not a resource group template ($schema {schema!r})")
    problems += compare_parameters(a, b, names)
    problems += compare_output_declarations(a, b, names)
    seen: set[str] = set()
    for scenario, params in (SCENARIOS if scenarios is None else scenarios).items():
        for line in compare_scenario(a, b, params, names):
            if line not in seen:  # the same difference in several parameter sets: report it once
                seen.add(line)
                problems.append(f"[{scenario}] {line}")
    return problems


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="first template (e.g. infra/azuredeploy.json)")
    parser.add_argument("b", type=Path, help="second template (e.g. the output of az bicep build)")
    parser.add_argument("--scenarios", type=Path, help="JSON object: scenario name -> parameter values")
    args = parser.parse_args(argv)
    scenarios = load(args.scenarios) if args.scenarios else SCENARIOS
    names = (str(args.a), str(args.b))
    try:
        problems = compare(load(args.a), load(args.b), scenarios, names)
    except Unsupported as err:
        print(f"cannot compare: {err} (extend infra/compare_templates.py)", file=sys.stderr)
        return 2
    if problems:
        print(f"{names[0]} and {names[1]} do not deploy the same thing:")
        for line in problems:
            print(f"  - {line}")
        return 1
    print(f"{names[0]} and {names[1]} deploy the same resources, properties, parameters and outputs "
          f"({len(scenarios)} parameter sets).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
