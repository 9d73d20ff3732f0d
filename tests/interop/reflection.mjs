// Server reflection (grpc.reflection.v1 and v1alpha) of every Kolo gRPC
// server, driven by a client no one here wrote: @grpc/grpc-js with
// @grpc/proto-loader (tests/proto-tools/package-lock.json), the returned
// FileDescriptorProtos decoded by protobufjs.
//
//   node reflection.mjs SRC_DIR identity=HOST:PORT groups=HOST:PORT ...
//
// Per server and version: list_services is exactly its service, Health and
// both reflections; file_containing_symbol finds its service, a method, a
// message, an enum, nested types, with every import in the answer;
// file_by_filename; NOT_FOUND for unknown symbols, another service's
// symbols, unknown files and extensions; all_extension_numbers_of_type is
// empty. On identity: the stream's bounds (an oversized request, bytes
// that are no request, too many requests, a client that goes away) end
// that stream with a status and the server goes on answering.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(new URL('../proto-tools/package.json', import.meta.url));
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const descriptor = require('protobufjs/ext/descriptor');

const [src, ...targets] = process.argv.slice(2);
const NOT_FOUND = 5;
const failures = [];
let checks = 0;

function check(ok, what) {
  checks++;
  if (!ok) failures.push(what);
}

function eq(got, want, what) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  check(g === w, `${what}: got ${g}, want ${w}`);
}

function loadClient(version, addr) {
  const def = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, {
    includeDirs: [path.join(src, 'proto')],
    keepCase: true,
    oneofs: true,
    longs: String,
    defaults: true,
  });
  const pkg = grpc.loadPackageDefinition(def).grpc.reflection[version];
  return new pkg.ServerReflection(addr, grpc.credentials.createInsecure());
}

// One bidi stream: ask() sends a request and resolves with its answer.
function openStream(client) {
  const call = client.ServerReflectionInfo();
  const waiting = [];
  let ended = null;
  call.on('data', (msg) => waiting.shift()?.resolve(msg));
  call.on('error', (err) => {
    ended = err;
    while (waiting.length) waiting.shift().reject(err);
  });
  call.on('end', () => {
    ended = ended || new Error('stream ended');
    while (waiting.length) waiting.shift().reject(ended);
  });
  return {
    call,
    ask(req) {
      return new Promise((resolve, reject) => {
        if (ended) return reject(ended);
        waiting.push({ resolve, reject });
        call.write(req);
      });
    },
    close() {
      call.end();
    },
  };
}

function files(resp) {
  eq(resp.message_response, 'file_descriptor_response', 'answer kind');
  const protos = resp.file_descriptor_response?.file_descriptor_proto || [];
  return protos.map((b) =>
    descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(b), { arrays: true }),
  );
}

// The answer holds file first and every import of every file in it.
function selfContained(decoded, file, what) {
  eq(decoded[0]?.name, file, `${what}: first file`);
  const names = new Set(decoded.map((f) => f.name));
  for (const f of decoded) {
    for (const dep of f.dependency || []) check(names.has(dep), `${what}: import ${dep} of ${f.name} missing`);
  }
}

function errorCode(resp, what) {
  eq(resp.message_response, 'error_response', `${what}: answer kind`);
  return resp.error_response?.error_code;
}

async function checkServer(name, addr, version) {
  const service = `kolo.${name}.v1.${name[0].toUpperCase()}${name.slice(1)}Service`;
  const file = `kolo/${name}/v1/${name}.proto`;
  const other = name === 'groups' ? 'kolo.identity.v1.IdentityService' : 'kolo.groups.v1.GroupsService';
  const what = `${name} ${version}`;
  const client = loadClient(version, addr);
  const st = openStream(client);
  try {
    let r = await st.ask({ host: 'partner', list_services: '' });
    eq(r.valid_host, 'partner', `${what}: valid_host`);
    eq(r.original_request?.list_services, '', `${what}: original_request`);
    eq(
      r.list_services_response.service.map((s) => s.name).sort(),
      [
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
        service,
      ],
      `${what}: list_services`,
    );

    r = await st.ask({ file_containing_symbol: service });
    const decoded = files(r);
    selfContained(decoded, file, `${what}: ${service}`);
    const own = decoded[0];
    const svc = own.service.find((s) => `${own.package}.${s.name}` === service);
    check(svc && svc.method.length > 0, `${what}: ${service} and its methods in ${file}`);

    const symbols = [`${service}.${svc.method[0].name}`, `${own.package}.${own.messageType[0].name}`];
    if (own.enumType.length) symbols.push(`${own.package}.${own.enumType[0].name}`);
    const nested = own.messageType.find((m) => m.nestedType.length || m.enumType.length);
    if (nested) {
      const inner = nested.nestedType[0] || nested.enumType[0];
      symbols.push(`${own.package}.${nested.name}.${inner.name}`);
    }
    for (const sym of symbols) {
      r = await st.ask({ file_containing_symbol: sym });
      eq(files(r)[0]?.name, file, `${what}: file of ${sym}`);
    }
    // Common types: their own file, found through any server importing it.
    if ((own.dependency || []).includes('kolo/common/v1/common.proto')) {
      r = await st.ask({ file_containing_symbol: 'kolo.common.v1.Role' });
      eq(files(r)[0]?.name, 'kolo/common/v1/common.proto', `${what}: file of kolo.common.v1.Role`);
    }
    r = await st.ask({ file_containing_symbol: 'grpc.health.v1.HealthCheckRequest' });
    eq(files(r)[0]?.name, 'grpc/health/v1/health.proto', `${what}: file of Health's request`);

    r = await st.ask({ file_by_filename: file });
    selfContained(files(r), file, `${what}: file_by_filename`);

    for (const [req, label] of [
      [{ file_containing_symbol: 'kolo.nope.v1.Nothing' }, 'unknown symbol'],
      [{ file_containing_symbol: other }, `another server's ${other}`],
      [{ file_by_filename: 'kolo/nope/v1/nope.proto' }, 'unknown file'],
      [{ file_containing_extension: { containing_type: `${own.package}.${own.messageType[0].name}`, extension_number: 100 } }, 'extension'],
      [{ all_extension_numbers_of_type: 'kolo.nope.v1.Nothing' }, 'extension numbers of an unknown type'],
    ]) {
      r = await st.ask(req);
      eq(errorCode(r, `${what}: ${label}`), NOT_FOUND, `${what}: ${label} is NOT_FOUND`);
    }
    const msgType = `${own.package}.${own.messageType[0].name}`;
    r = await st.ask({ all_extension_numbers_of_type: msgType });
    eq(r.message_response, 'all_extension_numbers_response', `${what}: extension numbers kind`);
    eq(r.all_extension_numbers_response?.base_type_name, msgType, `${what}: base_type_name`);
    eq(r.all_extension_numbers_response?.extension_number, [], `${what}: no extension numbers`);
  } catch (err) {
    failures.push(`${what}: stream failed: ${err.message}`);
  } finally {
    st.close();
    client.close();
  }
}

// The status a stream ends with once it is sent `requests` (raw bytes).
function endStatus(addr, requests) {
  const client = new grpc.Client(addr, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
    (b) => b,
    (b) => b,
  );
  let answers = 0;
  return new Promise((resolve) => {
    call.on('data', () => answers++);
    call.on('status', (s) => {
      client.close();
      resolve({ code: s.code, reason: s.metadata.get('kolo-error')[0], answers });
    });
    call.on('error', () => {});
    for (const r of requests) call.write(r);
    call.end();
  });
}

function encodeRequest(fields) {
  const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
    includeDirs: [path.join(src, 'proto')],
    keepCase: true,
  });
  const type = def['grpc.reflection.v1.ServerReflectionRequest'];
  return Buffer.from(type.serialize(fields));
}

async function checkBounds(addr) {
  const list = encodeRequest({ list_services: '' });
  let s = await endStatus(addr, [encodeRequest({ file_containing_symbol: 'x'.repeat(20000) })]);
  eq([s.code, s.reason, s.answers], [grpc.status.INVALID_ARGUMENT, 'request_too_large', 0], 'oversized request');
  s = await endStatus(addr, [list, Buffer.from([0x0a, 0xff, 0xff, 0xff])]);
  eq([s.code, s.reason, s.answers], [grpc.status.INVALID_ARGUMENT, 'malformed_message', 1], 'bytes that are no request');
  s = await endStatus(addr, Array(1025).fill(list));
  eq([s.code, s.reason, s.answers], [grpc.status.RESOURCE_EXHAUSTED, 'too_many_requests', 1024], 'too many requests');
  s = await endStatus(addr, []);
  eq([s.code, s.answers], [grpc.status.OK, 0], 'a stream with no request');

  // A client that goes away mid-stream, then one that asks again.
  const client = loadClient('v1', addr);
  const st = openStream(client);
  await st.ask({ list_services: '' });
  st.call.cancel();
  client.close();
  const again = loadClient('v1', addr);
  const st2 = openStream(again);
  const r = await st2.ask({ list_services: '' });
  check(r.list_services_response?.service.length === 4, 'reflection answers after a cancelled stream');
  st2.close();
  again.close();
}

const servers = targets.map((t) => t.split('='));
for (const [name, addr] of servers) {
  for (const version of ['v1', 'v1alpha']) await checkServer(name, addr, version);
}
const identity = servers.find(([name]) => name === 'identity');
if (identity) await checkBounds(identity[1]);
for (const f of failures) console.error(`reflection: FAIL ${f}`);
console.error(`reflection: ${checks - failures.length} of ${checks} checks passed (${servers.length} servers)`);
process.exit(failures.length ? 1 : 0);
