// check_responses.mjs OPENAPI_YAML RECORD_FILE
//
// Validates every reply the e2e suite received (RECORD_FILE: one JSON object
// a line, {method, path, status, content_type, body}, written by
// tests/e2e/e2e.c when KOLO_E2E_RECORD is set) against gateway/openapi.yaml:
//   - the (method, path) is a documented operation (a concrete path is matched
//     to its template; a 404 or 405 for an undocumented route is the gateway's
//     answer to a wrong route and is checked against the Error schema);
//   - the status is one of that operation's responses (or its 4XX/5XX/default);
//   - a body comes with a Content-Type the response documents, and a response
//     that documents no content has no body; an OPTIONS (CORS preflight) to a
//     documented path without an `options` operation may be 200/204/403 with
//     no body or an Error;
//   - a JSON body validates against the response's schema (ajv, with
//     the OAS 3.0 keywords translated: nullable, $ref into components). Objects
//     are closed (unevaluatedProperties: false, draft 2019-09): a property the document does not name is a mismatch, so the
//     document cannot fall behind the gateway (KOLO_OPENAPI_OPEN_OBJECTS=1 opens
//     them, for a look at the other mismatches).
// Prints each mismatch (counted once per operation, status and message, with an
// example path) and "openapi responses: N checked, M operations, K mismatches";
// exits 1 on a mismatch, 2 on a usage error.
import { readFileSync } from 'node:fs';
import Ajv from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const [docFile, recordFile] = process.argv.slice(2);
if (!docFile || !recordFile) {
  console.error('usage: check_responses.mjs OPENAPI_YAML RECORD_FILE');
  process.exit(2);
}
const doc = YAML.parse(readFileSync(docFile, 'utf8'));
const closed = process.env.KOLO_OPENAPI_OPEN_OBJECTS !== '1';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// --- OAS 3.0 schema -> JSON Schema (draft-07) -------------------------------
const DROP = new Set(['example', 'examples', 'xml', 'externalDocs', 'deprecated',
  'discriminator', 'readOnly', 'writeOnly', 'nullable']);

// open: the schema is a member of an allOf, so it stays open (the composing
// schema closes the whole with unevaluatedProperties, which sees through allOf).
function toJsonSchema(s, open = false) {
  if (Array.isArray(s)) return s.map((x) => toJsonSchema(x, open));
  if (s === null || typeof s !== 'object') return s;
  if (typeof s.$ref === 'string') {
    const m = /^#\/components\/schemas\/(.+)$/.exec(s.$ref);
    if (!m) throw new Error(`unsupported $ref ${s.$ref}`);
    return { $ref: `kolo#/${open ? '$defs' : 'definitions'}/${m[1]}` };
  }
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (DROP.has(k)) continue;
    if (k === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(v).map(([name, sub]) => [name, toJsonSchema(sub)]));
    } else if (k === 'allOf') {
      out.allOf = toJsonSchema(v, true);
    } else if (['items', 'additionalProperties', 'not', 'anyOf', 'oneOf'].includes(k)) {
      out[k] = toJsonSchema(v);
    } else {
      out[k] = v;
    }
  }
  // Closed objects: only the named properties, unless the schema says otherwise.
  if (closed && !open && (out.properties || out.allOf) && !('additionalProperties' in out)) {
    out.unevaluatedProperties = false;
  }
  if (s.nullable === true) {
    if (typeof out.type === 'string' && !out.allOf && !out.anyOf && !out.oneOf) {
      out.type = [out.type, 'null'];
      if (out.enum && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else {
      return { anyOf: [{ type: 'null' }, out] }; // nullable composition: null or the whole
    }
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addFormat('int32', true);
ajv.addFormat('int64', true);
const schemas = Object.entries(doc.components?.schemas ?? {});
ajv.addSchema({
  $id: 'kolo',
  definitions: Object.fromEntries(schemas.map(([name, s]) => [name, toJsonSchema(s)])),
  $defs: Object.fromEntries(schemas.map(([name, s]) => [name, toJsonSchema(s, true)])),
});

function deref(obj) {
  let o = obj;
  for (let i = 0; o && typeof o.$ref === 'string' && i < 10; i++) {
    const parts = o.$ref.replace(/^#\//, '').split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    o = parts.reduce((n, p) => (n ? n[p] : undefined), doc);
  }
  return o;
}

// --- routes --------------------------------------------------------------------
const templates = Object.keys(doc.paths ?? {}).map((tmpl) => {
  const literal = tmpl.split('/').filter((seg) => !seg.includes('{')).length;
  const rx = new RegExp('^' + tmpl.split(/(\{[^}]+\})/).map((part) =>
    (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('') + '$');
  return { tmpl, rx, literal };
}).sort((a, b) => b.literal - a.literal); // the most literal template wins

function findTemplate(path) {
  const bare = path.split('?')[0];
  return templates.find((t) => t.rx.test(bare))?.tmpl;
}

function responseFor(op, status) {
  const r = op.responses ?? {};
  const s = String(status);
  return r[s] ?? r[`${s[0]}XX`] ?? r[`${s[0]}xx`] ?? r.default;
}

const mediaType = (ct) => (ct || '').split(';')[0].trim().toLowerCase();
const isJson = (mt) => mt === 'application/json' || /^application\/[^;]*\+json$/.test(mt);
const validators = new Map();
function validatorFor(key, schema) {
  if (!validators.has(key)) validators.set(key, ajv.compile(toJsonSchema(schema)));
  return validators.get(key);
}

// --- check -----------------------------------------------------------------------
const mismatches = new Map(); // "op status: message" -> {count, example}
const operations = new Set();
let checked = 0;
function mismatch(what, rec, msg) {
  const key = `${what} ${rec.status}: ${msg}`;
  const m = mismatches.get(key) ?? { count: 0, example: `${rec.method} ${rec.path}` };
  m.count++;
  mismatches.set(key, m);
}

function checkBody(what, rec, content, schemaKey) {
  const body = rec.body ?? '';
  const mt = mediaType(rec.content_type);
  if (rec.body_not_utf8) {
    if (isJson(mt)) mismatch(what, rec, 'a JSON body that is not UTF-8');
    return;
  }
  if (!content) {
    if (body.length) mismatch(what, rec, `a body (${mt || 'no Content-Type'}) where the document has none`);
    return;
  }
  if (!body.length && rec.method !== 'HEAD') {
    mismatch(what, rec, 'no body where the document has content');
    return;
  }
  const entry = content[rec.content_type] ?? content[mt] ??
    Object.entries(content).find(([k]) => mediaType(k) === mt)?.[1];
  if (!entry) {
    mismatch(what, rec, `Content-Type ${rec.content_type || '(none)'} is not one of ${Object.keys(content).join(', ')}`);
    return;
  }
  if (!isJson(mt) || !entry.schema) return;
  let value;
  try {
    value = JSON.parse(body);
  } catch {
    mismatch(what, rec, 'a body that is not JSON');
    return;
  }
  const validate = validatorFor(`${schemaKey} ${mt}`, entry.schema);
  if (!validate(value)) {
    for (const e of validate.errors) {
      const extra = e.params?.additionalProperty ?? e.params?.unevaluatedProperty;
      mismatch(what, rec, `${e.instancePath || '/'} ${e.message}${extra ? ` (${extra})` : ''}`);
    }
  }
}

const lines = readFileSync(recordFile, 'utf8').split('\n').filter((l) => l.trim());
for (const line of lines) {
  const rec = JSON.parse(line);
  const method = rec.method.toLowerCase();
  const tmpl = findTemplate(rec.path);
  const op = tmpl && METHODS.includes(method) ? doc.paths[tmpl][method] : undefined;
  checked++;
  if (!op && method === 'options' && tmpl) {
    // A CORS preflight: answered on every route, not documented per path (the
    // document's description says how); no body, or an Error.
    const what = `OPTIONS ${tmpl} (preflight)`;
    operations.add(what);
    if (![200, 204, 403].includes(rec.status)) mismatch(what, rec, 'a preflight answered other than 200/204/403');
    else if ((rec.body ?? '').length) checkBody(what, rec, { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }, 'Error');
    continue;
  }
  if (!op) {
    const what = `${rec.method} ${tmpl ?? rec.path} (undocumented)`;
    if (rec.status === 404 || rec.status === 405) {
      checkBody(what, rec, { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }, 'Error');
    } else {
      mismatch(what, rec, 'a reply other than 404/405 to a route the document does not have');
    }
    continue;
  }
  const what = `${rec.method} ${tmpl}`;
  operations.add(what);
  const resp = deref(responseFor(op, rec.status));
  if (!resp) {
    mismatch(what, rec, `status ${rec.status} is not documented`);
    continue;
  }
  checkBody(what, rec, resp.content, `${what} ${rec.status}`);
}

for (const [key, m] of [...mismatches.entries()].sort()) {
  console.log(`openapi responses: MISMATCH ${key} (x${m.count}, e.g. ${m.example})`);
}
// Not a failure: the operations no e2e reply reached (their schemas are held
// by openapi_schemas only).
const unexercised = Object.entries(doc.paths ?? {}).flatMap(([tmpl, item]) =>
  METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${tmpl}`))
  .filter((what) => !operations.has(what));
if (unexercised.length) console.log(`openapi responses: not exercised by e2e: ${unexercised.join(', ')}`);
console.log(`openapi responses: ${checked} checked, ${operations.size} operations, ${mismatches.size} mismatches`);
process.exit(mismatches.size ? 1 : 0);
