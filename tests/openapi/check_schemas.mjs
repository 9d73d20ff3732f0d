// check_schemas.mjs OPENAPI_YAML SCHEMAS_JSON
//
// Holds gateway/openapi.yaml to the JSON the gateway writes: SCHEMAS_JSON is
// `kolo-gateway --openapi-schemas` (gateway/openapi_schemas.c: each RPC route's
// status and reply message, and every message's fields as gateway/pbjson.c
// writes them, from the protobuf-c descriptors). For every RPC route, the
// document's application/json schema of that operation and status is compared
// with the message, recursively through sub-messages and lists:
//   - the same property names (a field the document lacks, or a property that
//     is no field, is a mismatch; `replayed` is added by keyed creates);
//   - the same JSON type; an enum's values equal (the document may narrow a
//     proto string to an enum, e.g. currency); int32/int64 as the field;
//   - what an unset field becomes is read off pbjson itself ("unset": null,
//     absent or a value, e.g. "" or 0): `nullable` only where it writes null;
//     a oneof member is never `required` (absent when another is set). The
//     document may promise a value (non-nullable, `required`) where pbjson
//     would write null or nothing for an unset field but the services always
//     set it (a status, a created_at): e2e's response validation
//     (check_responses.mjs) holds every reply it sees to that promise.
// Prints each mismatch and "openapi schemas: N routes, M messages, K mismatches";
// exits 1 on a mismatch, 2 on a usage error.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';

const [docFile, genFile] = process.argv.slice(2);
if (!docFile || !genFile) {
  console.error('usage: check_schemas.mjs OPENAPI_YAML SCHEMAS_JSON');
  process.exit(2);
}
const doc = YAML.parse(readFileSync(docFile, 'utf8'));
const gen = JSON.parse(readFileSync(genFile, 'utf8'));
const problems = new Set();
const seen = new Set(); // "component|message" pairs compared once

function deref(o) {
  let cur = o;
  for (let i = 0; cur && typeof cur.$ref === 'string' && i < 10; i++) {
    cur = cur.$ref.replace(/^#\//, '').split('/').reduce((n, p) => (n ? n[p] : undefined), doc);
  }
  return cur;
}

// A schema with its $refs and allOf members merged into one view.
function effective(schema) {
  const s = deref(schema) ?? {};
  const out = { ...s, properties: { ...(s.properties ?? {}) }, required: [...(s.required ?? [])] };
  delete out.allOf;
  for (const member of s.allOf ?? []) {
    const m = effective(member);
    for (const k of ['type', 'enum', 'format', 'items']) if (out[k] === undefined && m[k] !== undefined) out[k] = m[k];
    Object.assign(out.properties, m.properties);
    out.required.push(...m.required);
  }
  return out;
}

const refName = (schema) => (typeof schema?.$ref === 'string' ? schema.$ref.split('/').pop() : 'inline');

function compareField(where, docProp, g) {
  const d = effective(docProp);
  if (d.nullable === true && g.unset !== 'null') problems.add(`${where}: nullable, but the gateway never writes null here (unset: ${g.unset})`);
  if (g.type === 'null') return; // a field type pbjson does not write
  if (d.type !== g.type) {
    problems.add(`${where}: type ${d.type ?? '(none)'} in the document, ${g.type} written`);
    return;
  }
  if (g.enum) {
    const want = [...g.enum].sort().join(',');
    const have = (d.enum ?? []).filter((v) => v !== null).sort().join(',');
    if (want !== have) problems.add(`${where}: enum [${have}] in the document, [${want}] written`);
  }
  if (g.format && d.format && g.format !== d.format) problems.add(`${where}: format ${d.format} in the document, ${g.format} written`);
  if (g.type === 'array') compareField(`${where}[]`, d.items ?? {}, g.items);
  if (g.type === 'object' && g.proto) compareMessage(`${where} (${refName(docProp.allOf?.[0] ?? docProp)})`, docProp, g.proto, false);
}

function compareMessage(where, docSchema, message, replayed) {
  const key = `${refName(docSchema)}|${message}|${replayed}`;
  if (refName(docSchema) !== 'inline' && seen.has(key)) return;
  seen.add(key);
  const m = gen.messages[message];
  const d = effective(docSchema);
  const fields = { ...m.properties };
  if (replayed) fields.replayed = { type: 'boolean' };
  for (const name of Object.keys(fields)) {
    if (!(name in d.properties)) problems.add(`${where}: field ${name} of ${message} is not in the document`);
  }
  for (const name of Object.keys(d.properties)) {
    if (!(name in fields)) problems.add(`${where}: property ${name} is not a field of ${message}`);
    else compareField(`${where}.${name}`, d.properties[name], fields[name]);
  }
  for (const name of m.oneof) {
    if (d.required.includes(name)) problems.add(`${where}: ${name} is required, but it is a oneof member (absent when another is set)`);
  }
}

for (const r of gen.routes) {
  const where = `${r.method} ${r.path} ${r.status}`;
  const op = doc.paths?.[r.path]?.[r.method.toLowerCase()];
  const resp = deref(op?.responses?.[String(r.status)]);
  const schema = resp?.content?.['application/json']?.schema;
  if (!schema) {
    problems.add(`${where}: the document has no application/json schema for it (the gateway writes ${r.message})`);
    continue;
  }
  compareMessage(`${where} ${refName(schema)}`, schema, r.message, r.replayed);
}

for (const p of [...problems].sort()) console.log(`openapi schemas: MISMATCH ${p}`);
console.log(`openapi schemas: ${gen.routes.length} routes, ${Object.keys(gen.messages).length} messages, ${problems.size} mismatches`);
process.exit(problems.size ? 1 : 0);
