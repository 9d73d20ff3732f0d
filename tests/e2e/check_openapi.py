#!/usr/bin/python3
"""Check gateway/openapi.yaml against the gateway's static route table.

    check_openapi.py OPENAPI_YAML ROUTES_FILE

ROUTES_FILE has one route per line, `METHOD /path/{param}`, exactly as `kolo-gateway
--routes` prints its table (path parameters written `{name}` as in OpenAPI). Blank lines and
lines starting with `#` are skipped; anything after the path on a line is ignored.

Checks (each counts once in the closing line `openapi: N passed, M failed`):
  - the YAML parses (duplicate mapping keys are an error: a second `/v1/groups/{id}:` would
    otherwise silently replace the first) and is an OpenAPI 3.0.x document with info and paths;
  - the set of (METHOD, path) operations equals the route table, differences listed both ways;
  - every `$ref` resolves (local JSON pointers only; an external reference is a failure);
  - operationIds are unique, and every security requirement names a declared scheme;
  - openapi-spec-validator accepts the document, when the module is importable (Debian:
    python3-openapi-spec-validator, where the release has it; else pip). Skipped, not failed,
    when it is missing, unless KOLO_OPENAPI_REQUIRE_VALIDATOR=1;
  - per operation: an operationId or a summary, at least one 2xx response, and path
    parameters that match the template ({name} declared `in: path`, `required: true`, and
    nothing declared that the template lacks).

Exit status: 0 when nothing failed, 1 when a check failed, 2 on a usage error.
Needs only the standard library and PyYAML (Debian python3-yaml).
"""

import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - environment problem, not a document problem
    sys.stderr.write("check_openapi: PyYAML is missing (apt-get install python3-yaml)\n")
    sys.exit(2)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TEMPLATE_PARAM = re.compile(r"\{([^{}/]+)\}")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and keeps timestamps as strings (JSON-like)."""


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found duplicate key %r" % (key,), key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# No implicit timestamps: `2025-01-31` stays a string, as it would in JSON.
StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def stringify_keys(node):
    """JSON has only string keys; YAML turns an unquoted `200:` into an int. Normalise."""
    if isinstance(node, dict):
        return {str(k): stringify_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [stringify_keys(v) for v in node]
    return node


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, problems):
        """Record one check; `problems` is a list of strings (empty = passed)."""
        if problems:
            self.failed += 1
            print("FAIL %s" % name)
            for p in problems:
                print("     - %s" % p)
        else:
            self.passed += 1
            print("ok   %s" % name)

    def skip(self, name, why):
        print("skip %s: %s" % (name, why))

    def finish(self):
        print("openapi: %d passed, %d failed" % (self.passed, self.failed))
        return 0 if self.failed == 0 else 1


# ----------------------------------------------------------------------------- $ref

def resolve_pointer(doc, ref):
    """Resolve a local `#/a/b` reference; returns (found, value)."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        return False, None
    if ref == "#":
        return True, doc
    if not ref.startswith("#/"):
        return False, None
    node = doc
    for raw in ref[2:].split("/"):
        part = raw.replace("%25", "%").replace("~1", "/").replace("~0", "~")
        part = re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), part)
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def deref(doc, node, seen=None):
    """Follow $ref chains (for reading parameters and responses); None when unresolvable."""
    seen = seen or set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or ref in seen:
            return None
        seen.add(ref)
        ok, node = resolve_pointer(doc, ref)
        if not ok:
            return None
    return node


def all_refs(node, where="#"):
    """Yield (location, ref) for every $ref in the document."""
    if isinstance(node, dict):
        for k, v in node.items():
            loc = "%s/%s" % (where, str(k).replace("~", "~0").replace("/", "~1"))
            if k == "$ref" and not isinstance(v, (dict, list)):
                yield where, v
            else:
                for item in all_refs(v, loc):
                    yield item
    elif isinstance(node, list):
        for i, v in enumerate(node):
            for item in all_refs(v, "%s/%d" % (where, i)):
                yield item


def check_refs(doc):
    problems = []
    for where, ref in all_refs(doc):
        if not isinstance(ref, str):
            problems.append("%s: $ref is not a string: %r" % (where, ref))
        elif not ref.startswith("#"):
            problems.append("%s: external $ref %s is not supported (keep one file)" % (where, ref))
        else:
            ok, _ = resolve_pointer(doc, ref)
            if not ok:
                problems.append("%s: $ref %s does not resolve" % (where, ref))
            elif deref(doc, {"$ref": ref}) is None:
                problems.append("%s: $ref %s is a cycle of references" % (where, ref))
    return problems


# ----------------------------------------------------------------------------- document

def check_structure(doc):
    problems = []
    version = doc.get("openapi")
    if not isinstance(version, str) or not re.match(r"^3\.0\.\d+$", version):
        problems.append("openapi must be a 3.0.x version string, found %r" % (version,))
    info = doc.get("info")
    if not isinstance(info, dict) or not info.get("title") or not info.get("version"):
        problems.append("info.title and info.version are required")
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        problems.append("paths must be a non-empty mapping")
    else:
        for path in paths:
            if not path.startswith("/"):
                problems.append("path %r does not start with /" % path)
    return problems


def collect_operations(doc):
    """[(METHOD, path, operation, path_item)] in document order."""
    ops = []
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        return ops
    for path, item in paths.items():
        item = deref(doc, item)
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is not None:
                ops.append((method.upper(), path, op, item))
    return ops


def check_operation(doc, method, path, op, item):
    problems = []
    if not isinstance(op, dict):
        return ["the operation is not a mapping"]
    if not (op.get("operationId") or op.get("summary")):
        problems.append("neither operationId nor summary")
    responses = op.get("responses")
    if not isinstance(responses, dict) or not responses:
        problems.append("no responses")
    elif not any(re.match(r"^2(\d\d|XX)$", str(code)) for code in responses):
        problems.append("no 2xx response (has %s)" % ", ".join(sorted(map(str, responses))))

    # Path parameters: the template's {names} against `in: path` declarations. An operation's
    # parameter overrides a path-level one with the same (name, in).
    declared = {}
    for level in (item.get("parameters") or [], op.get("parameters") or []):
        if not isinstance(level, list):
            problems.append("parameters is not a list")
            continue
        for raw in level:
            p = deref(doc, raw)
            if not isinstance(p, dict):
                problems.append("unresolvable parameter %r" % (raw,))
                continue
            declared[(p.get("name"), p.get("in"))] = p
    template = TEMPLATE_PARAM.findall(path)
    if len(template) != len(set(template)):
        problems.append("path template repeats a parameter name")
    in_path = {name: p for (name, where), p in declared.items() if where == "path"}
    for name in template:
        p = in_path.get(name)
        if p is None:
            problems.append("path parameter {%s} is not declared (in: path)" % name)
        elif p.get("required") is not True:
            problems.append("path parameter {%s} must have required: true" % name)
    for name in in_path:
        if name not in template:
            problems.append("parameter %r is declared in: path but the path has no {%s}" % (name, name))
    return problems


def check_unique_ids_and_security(doc, ops):
    problems = []
    seen = {}
    for method, path, op, _ in ops:
        if not isinstance(op, dict):
            continue
        oid = op.get("operationId")
        if oid:
            if oid in seen:
                problems.append("operationId %s used by %s and %s %s" % (oid, seen[oid], method, path))
            else:
                seen[oid] = "%s %s" % (method, path)
    schemes = ((doc.get("components") or {}).get("securitySchemes") or {})
    reqs = [("document", doc.get("security"))]
    reqs += [("%s %s" % (m, p), op.get("security")) for m, p, op, _ in ops if isinstance(op, dict)]
    for where, sec in reqs:
        for requirement in sec or []:
            for name in (requirement or {}):
                if name not in schemes:
                    problems.append("%s: security scheme %r is not in components.securitySchemes"
                                    % (where, name))
    return problems


def run_validator(doc):
    """Returns (available, problems)."""
    try:
        import openapi_spec_validator as osv
    except ImportError:
        return False, []
    problems = []
    try:
        cls = getattr(osv, "OpenAPIV30SpecValidator", None)
        if cls is not None:  # 0.7 and later
            errors = cls(doc).iter_errors()
        elif hasattr(osv, "openapi_v30_spec_validator"):  # 0.5, 0.6
            errors = osv.openapi_v30_spec_validator.iter_errors(doc)
        else:
            errors = None
        if errors is not None:
            for err in errors:
                path = "/".join(str(p) for p in getattr(err, "absolute_path", []) or [])
                problems.append("%s%s" % ("#/%s: " % path if path else "", getattr(err, "message", err)))
        else:
            (getattr(osv, "validate", None) or osv.validate_spec)(doc)
    except Exception as exc:  # any refusal the library raises is a failure of the document
        problems.append("%s: %s" % (type(exc).__name__, exc))
    return True, problems


# ----------------------------------------------------------------------------- routes

def read_routes(path):
    """Returns (set of (METHOD, path), problems)."""
    routes, problems, where = set(), [], {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            fields = text.split()
            if len(fields) < 2:
                problems.append("%s:%d: expected `METHOD /path`, got %r" % (path, n, text))
                continue
            method, route = fields[0].upper(), fields[1]
            if method.lower() not in HTTP_METHODS:
                problems.append("%s:%d: unknown method %r" % (path, n, fields[0]))
                continue
            if not route.startswith("/"):
                problems.append("%s:%d: path %r does not start with /" % (path, n, route))
                continue
            key = (method, route)
            if key in routes:
                problems.append("%s:%d: %s %s repeats line %d" % (path, n, method, route, where[key]))
                continue
            routes.add(key)
            where[key] = n
    return routes, problems


def shape(route):
    method, path = route
    return method, TEMPLATE_PARAM.sub("{}", path)


def compare_routes(spec_ops, table, table_problems):
    problems = list(table_problems)
    only_spec = sorted(spec_ops - table, key=lambda r: (r[1], r[0]))
    only_table = sorted(table - spec_ops, key=lambda r: (r[1], r[0]))
    table_shapes = {shape(r): r for r in only_table}
    for r in only_spec:
        hint = table_shapes.get(shape(r))
        extra = " (the table has %s %s: parameter names differ)" % hint if hint else ""
        problems.append("in the OpenAPI document, not in the route table: %s %s%s" % (r[0], r[1], extra))
    spec_shapes = {shape(r): r for r in only_spec}
    for r in only_table:
        hint = spec_shapes.get(shape(r))
        extra = " (the document has %s %s: parameter names differ)" % hint if hint else ""
        problems.append("in the route table, not in the OpenAPI document: %s %s%s" % (r[0], r[1], extra))
    return problems


# ----------------------------------------------------------------------------- main

def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: %s OPENAPI_YAML ROUTES_FILE\n" % os.path.basename(argv[0]))
        return 2
    spec_path, routes_path = argv[1], argv[2]
    report = Report()

    try:
        with open(spec_path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
        problems = [] if isinstance(doc, dict) else ["the document is not a mapping"]
    except (OSError, yaml.YAMLError) as exc:
        doc, problems = None, [str(exc).replace("\n", " ")]
    report.check("%s parses as YAML" % spec_path, problems)
    if not isinstance(doc, dict):
        return report.finish()
    doc = stringify_keys(doc)

    report.check("document structure (openapi 3.0.x, info, paths)", check_structure(doc))

    ops = collect_operations(doc)
    try:
        table, table_problems = read_routes(routes_path)
    except OSError as exc:
        table, table_problems = set(), [str(exc)]
    spec_ops = {(m, p) for m, p, _, _ in ops}
    report.check("operations equal the route table (%d in the document, %d in %s)"
                 % (len(spec_ops), len(table), routes_path),
                 compare_routes(spec_ops, table, table_problems))

    report.check("every $ref resolves", check_refs(doc))
    report.check("operationIds unique, security schemes declared",
                 check_unique_ids_and_security(doc, ops))

    available, problems = run_validator(doc)
    if available:
        report.check("openapi-spec-validator accepts the document", problems)
    elif os.environ.get("KOLO_OPENAPI_REQUIRE_VALIDATOR") == "1":
        report.check("openapi-spec-validator accepts the document",
                     ["openapi_spec_validator is not importable and KOLO_OPENAPI_REQUIRE_VALIDATOR=1"])
    else:
        report.skip("openapi-spec-validator", "module not importable (python3-openapi-spec-validator "
                    "or pip openapi-spec-validator); structural checks only")

    for method, path, op, item in ops:
        report.check("%s %s" % (method, path), check_operation(doc, method, path, op, item))

    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
