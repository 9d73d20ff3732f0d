// Interop: @grpc/grpc-js (a client no one here wrote) against kolo-identity,
// decoding grpc-status-details-bin with protobufjs from proto/google/rpc:
// the google.rpc.Status of a bad password, a malformed id, a wrong PIN and
// an unknown Authorization scheme carries ErrorInfo {reason, domain "kolo",
// metadata} (issue 21).
//   node errors.mjs PROTO_DIR ADDR
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import path from "node:path";
import process from "node:process";

const [protoDir, addr] = process.argv.slice(2);
const def = protoLoader.loadSync("kolo/identity/v1/identity.proto", {
  includeDirs: [protoDir], keepCase: true, defaults: true,
});
const Identity = grpc.loadPackageDefinition(def).kolo.identity.v1.IdentityService;
const client = new Identity(addr, grpc.credentials.createInsecure());

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(protoDir, target);
root.loadSync(["google/rpc/status.proto", "google/rpc/error_details.proto"], { keepCase: true });
const Status = root.lookupType("google.rpc.Status");
const ErrorInfo = root.lookupType("google.rpc.ErrorInfo");

const failures = [];
let passed = 0;
function check(what, ok, detail) {
  if (ok) passed++;
  else failures.push(`${what}: ${detail}`);
}

function call(method, req, md) {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(md || {})) metadata.set(k, v);
  return new Promise((resolve) => {
    client[method](req, metadata, { deadline: Date.now() + 10000 },
      (err, reply) => resolve({ err, reply }));
  });
}

// The ErrorInfo of a failed call, decoded from grpc-status-details-bin.
function errorInfo(err) {
  const bin = err.metadata.get("grpc-status-details-bin")[0];
  if (!bin) return { status: null, info: null };
  const status = Status.decode(bin);
  const any = status.details.find((d) => d.type_url.endsWith("/google.rpc.ErrorInfo"));
  return { status, info: any ? ErrorInfo.decode(any.value) : null };
}

// A refusal: its code, its kolo-error trailer and its standard details agree.
function expectError(what, { err }, code, reason, meta) {
  if (!err) return check(what, false, "answered OK");
  check(`${what} code`, err.code === code, `code ${err.code}, want ${code}`);
  check(`${what} kolo-error`, err.metadata.get("kolo-error")[0] === reason,
    `kolo-error ${err.metadata.get("kolo-error")[0]}`);
  const { status, info } = errorInfo(err);
  check(`${what} status`, status && status.code === code && status.message === err.details,
    `google.rpc.Status ${JSON.stringify(status)}`);
  check(`${what} ErrorInfo`, info && info.reason === reason && info.domain === "kolo",
    `ErrorInfo ${JSON.stringify(info)}`);
  for (const [k, v] of Object.entries(meta || {}))
    check(`${what} metadata ${k}`, info && info.metadata[k] === v,
      `metadata ${JSON.stringify(info && info.metadata)}, want ${k}=${v}`);
}

const email = `node-interop-${process.pid}@example.com`;
const password = "node interop password 42";
const reg = await call("Register", { email, password, name: "Node Interop" });
check("Register", !reg.err, reg.err && reg.err.message);
expectError("Login with a bad password",
  await call("Login", { email, password: "not the password" }),
  grpc.status.UNAUTHENTICATED, "invalid_credentials");
const login = await call("Login", { email, password });
check("Login", !login.err, login.err && login.err.message);
const token = login.reply.access_token;
// RFC 7235: the scheme in any case; another scheme is named.
const me = await call("GetMe", {}, { authorization: `bearer ${token}` });
check("GetMe with bearer in lower case", !me.err, me.err && me.err.message);
expectError("GetMe with Basic", await call("GetMe", {}, { authorization: "Basic eHl6OmFiYw==" }),
  grpc.status.UNAUTHENTICATED, "unsupported_auth_scheme");
const auth = { authorization: `Bearer ${token}` };
const pin = await call("SetPin", { pin: "4826" }, auth);
check("SetPin", !pin.err, pin.err && pin.err.message);
expectError("VerifyPin with a wrong PIN", await call("VerifyPin", { pin: "1111" }, auth),
  grpc.status.PERMISSION_DENIED, "pin_incorrect", { attempts_left: "4" });
expectError("VerifyPin of a malformed user id",
  await call("VerifyPin", { user_id: "not-a-uuid", pin: "4826" }, auth),
  grpc.status.INVALID_ARGUMENT, "invalid_id", { field: "user_id" });
client.close();
for (const f of failures) console.log("FAIL", f);
console.log(`interop node errors: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
