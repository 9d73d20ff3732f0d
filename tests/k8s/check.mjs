// Offline checks of Kolo's Kubernetes packaging (k8s/, Dockerfile).
//
//   node check.mjs --root REPO [--bin-dir BUILD] [--lib-bin-dir BUILD]...
//                  NAME=built.yaml ...
//
// Each NAME=file is the output of `kubectl kustomize` for one kustomization
// (base, dev, prod, prod-mtls = prod + k8s/components/mutual-tls,
// prod-monitoring = prod + k8s/components/monitoring, prod-cloudnativepg =
// prod + k8s/components/cloudnativepg + monitoring). Every object (but the
// prometheus-operator and CloudNativePG ones, checked by hand) is validated against the Kubernetes
// schemas (kubernetes-models@4), then the facts k8s/README.md promises are
// asserted against the repository's own code: probes hit the ports the
// binaries listen on, every variable a container gets is one its binary
// reads (and every required one is set, with a value it accepts), secrets
// are only referenced, and the NetworkPolicies allow exactly the calls the
// services are configured to make; every pod is annotated for scraping,
// spread over zones and nodes, prod pins its image by digest and speaks
// TLS gRPC as appProtocol https; the Dockerfile ships stripped programs
// with OCI labels and no test library. The first --lib-bin-dir that holds a
// plain (non-sanitizer) build adds the check that the runtime image has
// every library the binaries load. With KOLO_TEST_PG (a libpq conninfo of
// a superuser) and the kolo-migrate of --bin-dir, the migration Job's
// command and the services' wait-for-migrations script run against a
// scratch database. Ends with "k8s: N passed, M failed".
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";

import * as admissionregistration from "kubernetes-models/admissionregistration.k8s.io/v1";
import * as apps from "kubernetes-models/apps/v1";
import * as autoscaling from "kubernetes-models/autoscaling/v2";
import * as batch from "kubernetes-models/batch/v1";
import * as core from "kubernetes-models/v1";
import * as networking from "kubernetes-models/networking.k8s.io/v1";
import * as policy from "kubernetes-models/policy/v1";

const MODELS = {
  v1: core,
  "apps/v1": apps,
  "batch/v1": batch,
  "autoscaling/v2": autoscaling,
  "networking.k8s.io/v1": networking,
  "policy/v1": policy,
  "admissionregistration.k8s.io/v1": admissionregistration,
};

// --- reporting ---------------------------------------------------------------

let passed = 0;
let failed = 0;
let skipped = 0;

function check(what, ok, detail = "") {
  if (ok) {
    passed++;
    return true;
  }
  failed++;
  console.log(`k8s: FAIL ${what}${detail ? `: ${detail}` : ""}`);
  return false;
}

function skip(what, why) {
  skipped++;
  console.log(`k8s: skip ${what} (${why})`);
}

// --- arguments -------------------------------------------------------------------

const args = process.argv.slice(2);
let root = null;
let binDir = null;
const libBinDirs = [];
const builds = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--root") root = args[++i];
  else if (args[i] === "--bin-dir") binDir = args[++i];
  else if (args[i] === "--lib-bin-dir") libBinDirs.push(args[++i]);
  else if (args[i].includes("=")) {
    const [name, file] = args[i].split("=", 2);
    builds.push({ name, file });
  } else {
    console.error(`usage: node check.mjs --root REPO [--bin-dir BUILD] [--lib-bin-dir BUILD]... NAME=built.yaml ...`);
    process.exit(2);
  }
}
if (!root || builds.length === 0) {
  console.error("check.mjs: --root and at least one NAME=built.yaml are required");
  process.exit(2);
}
const read = (rel) => fs.readFileSync(path.join(root, rel), "utf8");

// --- what the code says ------------------------------------------------------------

const SERVICES = ["identity", "groups", "ledger", "withdrawals", "payments", "events"];

// Strips C comments, so a variable named only in a comment does not count.
function cSource(files) {
  return files
    .map((f) => read(f).replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " "))
    .join("\n");
}
function cFiles(dir) {
  return fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith(".c"))
    .map((f) => `${dir}/${f}`);
}

// min/max of a cfg_var entry: integer literals and products like 30 * 86400.
function cInt(expr) {
  const e = expr.trim();
  if (!/^[0-9\s*+()-]+$/.test(e)) return null;
  return Function(`"use strict"; return (${e});`)();
}

// The cfg_var tables of a source: name -> {type, fallback (null = required), min, max}.
function cfgVars(src) {
  const vars = new Map();
  const re = /\{\s*"(KOLO_[A-Z0-9_]+)",\s*CFG_([A-Z]+),\s*(NULL|"[^"]*"),\s*([^,]+),\s*([^,]+),/g;
  for (const m of src.matchAll(re)) {
    vars.set(m[1], {
      type: m[2],
      fallback: m[3] === "NULL" ? null : m[3].slice(1, -1),
      min: cInt(m[4]),
      max: cInt(m[5]),
    });
  }
  return vars;
}

// Every binary a manifest runs: its sources, the variables it reads, the
// required ones, and (services) the peers' address variables it reads.
const BINARIES = new Map();
// The one peers table (shared/svc/peers.c): SVC_PEER_X -> {env, default address}.
const PEERS = new Map();
for (const m of cSource(["shared/svc/peers.c"]).matchAll(
  /\[(SVC_PEER_[A-Z]+)\]\s*=\s*\{\s*"\w+",\s*"(KOLO_[A-Z_]+)",\s*"([^"]+)"/g,
)) {
  PEERS.set(m[1], { env: m[2], addr: m[3] });
}
check("the peers table names the six services", PEERS.size === 6, `${PEERS.size} rows`);
// The peers' address variables a source reads: the rows it names.
function peerEnvs(src) {
  return new Set([...src.matchAll(/\b(SVC_PEER_(?:IDENTITY|GROUPS|LEDGER|WITHDRAWALS|PAYMENTS|EVENTS))\b/g)].map((m) => PEERS.get(m[1]).env));
}
{
  const svcShared = cSource(cFiles("shared/svc"));
  for (const svc of SERVICES) {
    const own = cSource(cFiles(`services/${svc}`));
    const src = `${own}\n${svcShared}`;
    const vars = cfgVars(src);
    const self = PEERS.get(own.match(/\.self\s*=\s*(SVC_PEER_[A-Z]+)/)[1]);
    const addrEnv = self.env;
    const dbEnv = own.match(/\.db_env\s*=\s*"(KOLO_[A-Z_]+)"/)[1];
    const defAddr = self.addr;
    vars.set(addrEnv, { type: "ADDR", fallback: defAddr });
    vars.set(dbEnv, { type: "STRING", fallback: null });
    const peers = new Set([...peerEnvs(own)].filter((v) => v !== addrEnv));
    for (const v of peers) vars.set(v, { type: "ADDR", fallback: [...PEERS.values()].find((p) => p.env === v).addr });
    BINARIES.set(`kolo-${svc}`, { src, vars, addrEnv, peers, port: Number(defAddr.split(":")[1]) });
  }
  // The gateway reads its client TLS through shared/svc/tls.c.
  const gw = cSource([...cFiles("gateway"), "shared/svc/tls.c"]);
  const gwVars = cfgVars(gw);
  const gwPeers = peerEnvs(gw);
  for (const v of gwPeers) gwVars.set(v, { type: "ADDR", fallback: [...PEERS.values()].find((p) => p.env === v).addr });
  BINARIES.set("kolo-gateway", {
    src: gw,
    vars: gwVars,
    addrEnv: "KOLO_GATEWAY_ADDR",
    peers: gwPeers,
    port: Number(gwVars.get("KOLO_GATEWAY_ADDR").fallback.split(":")[1]),
  });
  const mig = cSource(cFiles("tools/migrate"));
  // tools/migrate/main.c: KOLO_DATABASE_URL is required (exit 2 without
  // it), KOLO_MIGRATIONS_DIR optional.
  const migVars = new Map();
  for (const m of mig.matchAll(/main_env\("(KOLO_[A-Z_]+)"\)/g)) {
    migVars.set(m[1], { type: "STRING", fallback: m[1] === "KOLO_DATABASE_URL" ? null : "" });
  }
  BINARIES.set("kolo-migrate", { src: mig, vars: migVars, addrEnv: null, peers: new Set(), port: null });
}

// Internal-only methods (RPC_AUTH_INTERNAL alone) and the full gRPC
// service name of each service, from the method tables (the foot of each
// services/<svc>/handlers.c) and the protos.
const GRPC_SERVICE = new Map(); // svc -> "kolo.identity.v1.IdentityService"
const INTERNAL_PATHS = new Map(); // "/kolo.x.v1.XService/Method" -> svc
for (const svc of SERVICES) {
  const proto = read(`proto/kolo/${svc}/v1/${svc}.proto`);
  const pkg = proto.match(/^package\s+([\w.]+);/m)[1];
  const name = proto.match(/^service\s+(\w+)/m)[1];
  GRPC_SERVICE.set(svc, `${pkg}.${name}`);
  const methods = cSource([`services/${svc}/handlers.c`]);
  for (const m of methods.matchAll(/RPC_(?:STREAM_)?METHOD\(\s*\w+,\s*(\w+),\s*\w+,\s*([A-Z_ |]+)\)/g)) {
    if (m[2].trim() === "RPC_AUTH_INTERNAL") INTERNAL_PATHS.set(`/${pkg}.${name}/${m[1]}`, svc);
  }
}
check("the code names internal-only methods", INTERNAL_PATHS.size >= 6, `${INTERNAL_PATHS.size} found`);

// --- selectors and network policies ---------------------------------------------------

function selects(selector, labels) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels || {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions || []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function ipToBig(ip) {
  if (ip.includes(":")) {
    const [head, tail = ""] = ip.split("::");
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const parts = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
    return { v: parts.reduce((a, p) => (a << 16n) | BigInt(parseInt(p || "0", 16)), 0n), bits: 128 };
  }
  return { v: ip.split(".").reduce((a, p) => (a << 8n) | BigInt(Number(p)), 0n), bits: 32 };
}
function inCidr(ip, cidr) {
  const [net, len] = cidr.split("/");
  const a = ipToBig(ip);
  const b = ipToBig(net);
  if (a.bits !== b.bits) return false;
  const shift = BigInt(a.bits - Number(len));
  return a.v >> shift === b.v >> shift;
}

// An endpoint is a pod {ns, nsLabels, labels, ip, ports: [{name, port, protocol}]}
// or an address outside the cluster {ip}.
function peerMatches(peer, policyNs, ep) {
  if (peer.ipBlock) {
    if (!ep.ip || !inCidr(ep.ip, peer.ipBlock.cidr)) return false;
    return !(peer.ipBlock.except || []).some((c) => inCidr(ep.ip, c));
  }
  if (!ep.labels) return false; // selectors match pods only
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, ep.nsLabels) : ep.ns === policyNs;
  const podOk = peer.podSelector ? selects(peer.podSelector, ep.labels) : true;
  return nsOk && podOk;
}
function portMatches(rulePorts, target, port, protocol) {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some((p) => {
    if ((p.protocol || "TCP") !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") {
      const named = (target.ports || []).find((cp) => cp.name === p.port);
      return named !== undefined && named.port === port;
    }
    return p.endPort ? port >= p.port && port <= p.endPort : p.port === port;
  });
}
function policiesFor(policies, pod, type) {
  return policies.filter(
    (np) =>
      np.metadata.namespace === pod.ns &&
      selects(np.spec.podSelector, pod.labels) &&
      (np.spec.policyTypes || ["Ingress"]).includes(type),
  );
}
// May src open a connection to dst:port/protocol? side: "egress" or
// "ingress" asks one side's policies only; by default both must allow it.
function allowed(policies, src, dst, port, protocol = "TCP", side = "both") {
  if (src.labels && side !== "ingress") {
    const egress = policiesFor(policies, src, "Egress");
    const ok =
      egress.length === 0 ||
      egress.some((np) =>
        (np.spec.egress || []).some(
          (r) =>
            (!r.to || r.to.length === 0 || r.to.some((p) => peerMatches(p, np.metadata.namespace, dst))) &&
            portMatches(r.ports, dst, port, protocol),
        ),
      );
    if (!ok) return false;
  }
  if (dst.labels && side !== "egress") {
    const ingress = policiesFor(policies, dst, "Ingress");
    return (
      ingress.length === 0 ||
      ingress.some((np) =>
        (np.spec.ingress || []).some(
          (r) =>
            (!r.from || r.from.length === 0 || r.from.some((p) => peerMatches(p, np.metadata.namespace, src))) &&
            portMatches(r.ports, dst, port, protocol),
        ),
      )
    );
  }
  return true;
}

// --- one build ----------------------------------------------------------------------

// The roles the migrations create (0002's FOREACH over an ARRAY of names,
// 0026's CREATE ROLE), comments left out: a CloudNativePG Cluster manages each.
const MIGRATION_ROLES = new Set();
for (const f of fs.readdirSync(path.join(root, "migrations")).filter((x) => x.endsWith(".sql"))) {
  const sql = read(`migrations/${f}`).replace(/--[^\n]*/g, " ");
  for (const m of sql.matchAll(/CREATE ROLE\s+(\w+)/gi)) MIGRATION_ROLES.add(m[1]);
  if (/CREATE ROLE %I/i.test(sql)) {
    const names = sql.match(/FOREACH\s+\w+\s+IN\s+ARRAY\s+ARRAY\[([^\]]*)\]/i)?.[1] || "";
    for (const m of names.matchAll(/'(\w+)'/g)) MIGRATION_ROLES.add(m[1]);
  }
}
check(
  "the migrations create one role per service (kolo_<service>)",
  SERVICES.every((s) => MIGRATION_ROLES.has(`kolo_${s}`)),
  [...MIGRATION_ROLES].join(","),
);

// libpq's environment: a password from a Secret instead of inside a
// database URL (k8s/components/cloudnativepg). Read by every binary that
// connects to PostgreSQL.
const LIBPQ_ENV = new Set(["PGPASSWORD"]);
// A password written into a libpq conninfo or URI, or a URI's query.
function hasPassword(v) {
  return /(^|\s)password\s*=/i.test(v || "") || /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/i.test(v || "") || /[?&]password=/i.test(v || "");
}
// A libpq conninfo ("key=value key='v a l'") as an object.
function conninfo(s) {
  const out = {};
  for (const m of (s || "").matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) out[m[1]] = m[2].replace(/^'(.*)'$/, "$1");
  return out;
}

// The services whose lagging reads go to a standby (issue 24): those whose
// code reads KOLO_<SERVICE>_READ_DATABASE_URL, and at least these three.
const READ_SERVICES = new Set([
  "groups",
  "ledger",
  "withdrawals",
  ...SERVICES.filter((s) => BINARIES.get(`kolo-${s}`).src.includes(`"KOLO_${s.toUpperCase()}_READ_DATABASE_URL"`)),
]);
// A read URL of READ_SERVICES that the binary does not read yet: reported
// as skipped rather than failed until the read-replica code lands; any
// other unread variable fails.
function isReadUrlPending(binary, varName) {
  const svc = varName.match(/^KOLO_([A-Z]+)_READ_DATABASE_URL$/)?.[1]?.toLowerCase();
  return Boolean(svc) && binary === `kolo-${svc}` && READ_SERVICES.has(svc) && !BINARIES.get(binary).src.includes(`"${varName}"`);
}

const SECRET_NAMES = new Set([
  "kolo-jwt",
  "kolo-service-tokens",
  "kolo-caller-hashes",
  "kolo-flutterwave",
  "kolo-pii",
  "kolo-paystack",
  "kolo-notify",
  "kolo-webhooks",
  "kolo-tls",
  "kolo-db-migrate",
  ...SERVICES.map((s) => `kolo-db-${s}`),
  // k8s/components/cloudnativepg: the roles' passwords (the operator's
  // basic-auth Secrets) and the Cluster's CA (made by CloudNativePG).
  "kolo-pg-migrate",
  ...SERVICES.map((s) => `kolo-pg-${s}`),
  "kolo-db-ca",
]);
// Who may reference which secret (and key): least privilege.
function secretAllowed(workload, container, secret, key) {
  // The owner's credential (CREATEROLE): the migration Job alone; the
  // services wait for the migrations with their own role (0016).
  if (secret === "kolo-db-migrate" || secret === "kolo-pg-migrate") return workload === "kolo-migrate";
  if (secret === "kolo-db-ca") return false; // a volume of ca.crt alone, never an env value
  if (secret.startsWith("kolo-pg-")) return workload === `kolo-${secret.slice(8)}`;
  if (secret.startsWith("kolo-db-")) return workload === `kolo-${secret.slice(8)}`;
  if (secret === "kolo-flutterwave" || secret === "kolo-paystack") return workload === "kolo-payments";
  // SMTP and SMS credentials: the process that sends mail alone.
  if (secret === "kolo-notify" || secret === "kolo-webhooks") return workload === "kolo-events";
  // The keys KYC numbers are sealed with: identity alone (DESIGN §14).
  if (secret === "kolo-pii") return workload === "kolo-identity";
  if (secret === "kolo-jwt" && key !== "KOLO_JWT_PUBLIC_KEYS") return workload === "kolo-identity";
  if (secret === "kolo-jwt") return workload !== "kolo-gateway" && workload !== "kolo-migrate";
  // Each process its own service token, each service the hashes of its
  // callers: key = the process's caller name (shared/rpc/callers.h).
  if (secret === "kolo-service-tokens") return workload === `kolo-${key}`;
  if (secret === "kolo-caller-hashes") return workload === `kolo-${key}` && workload !== "kolo-gateway";
  return true;
}
const SECRET_LIKE = /TOKEN|SECRET|PASSWORD|PRIVATE_KEY$|DATABASE_URL|_KEYS$|_KID$/;

const ENUMS = {
  KOLO_LOG_LEVEL: ["debug", "info", "warn", "error"],
  KOLO_PROVIDER: ["demo", "flutterwave"],
  KOLO_PWHASH_PROFILE: ["interactive", "moderate"], // never "test" in a cluster
};

function checkBuild(name, objects) {
  const at = (o) => `${name}: ${o.kind}/${o.metadata?.name}`;
  // prod, and prod-mtls (prod + k8s/components/mutual-tls): TLS on every
  // hop; only prod-mtls makes the services demand client certificates.
  const isProd = name === "prod" || name.startsWith("prod-");
  const clientCerts = name === "prod-mtls";
  const byKind = (k) => objects.filter((o) => o.kind === k);

  // 1. schemas (a ServiceMonitor or PodMonitor is prometheus-operator's CRD:
  // checked in 9; a CloudNativePG Cluster in 10)
  for (const o of objects) {
    if (o.apiVersion === "monitoring.coreos.com/v1" && (o.kind === "ServiceMonitor" || o.kind === "PodMonitor")) continue;
    if (o.apiVersion === "postgresql.cnpg.io/v1" && o.kind === "Cluster") continue;
    const models = MODELS[o.apiVersion];
    const Model = models && models[o.kind];
    if (!check(`${at(o)} has a known apiVersion/kind`, Boolean(Model), o.apiVersion)) continue;
    let err = "";
    try {
      new Model(o).validate();
    } catch (e) {
      err = e.message;
    }
    check(`${at(o)} validates against the ${o.apiVersion} schema`, err === "", err);
  }

  // 2. namespace, secrets
  const nsObj = byKind("Namespace");
  check(`${name}: one Namespace kolo`, nsObj.length === 1 && nsObj[0].metadata.name === "kolo");
  const nsLabels = { "kubernetes.io/metadata.name": "kolo", ...(nsObj[0]?.metadata.labels || {}) };
  check(
    `${name}: namespace enforces the restricted Pod Security profile`,
    nsLabels["pod-security.kubernetes.io/enforce"] === "restricted",
  );
  for (const o of objects) {
    if (o.kind !== "Namespace") check(`${at(o)} is in namespace kolo`, o.metadata.namespace === "kolo");
  }
  check(`${name}: no Secret object (secrets are only referenced)`, byKind("Secret").length === 0);

  const configMaps = new Map(byKind("ConfigMap").map((c) => [c.metadata.name, c.data || {}]));
  const services = byKind("Service");
  const serviceAccounts = new Map(byKind("ServiceAccount").map((s) => [s.metadata.name, s]));
  const policies = byKind("NetworkPolicy");

  // Workloads: the Deployments and the Job, each as a pod endpoint.
  const workloads = [...byKind("Deployment"), ...byKind("Job")].map((w) => {
    const spec = w.spec.template.spec;
    const labels = w.spec.template.metadata.labels || {};
    const ports = spec.containers.flatMap((c) =>
      (c.ports || []).map((p) => ({ name: p.name, port: p.containerPort, protocol: p.protocol || "TCP" })),
    );
    return { obj: w, name: w.metadata.name, spec, ns: w.metadata.namespace, nsLabels, labels, ports, ip: "10.244.1.10" };
  });
  const expected = ["kolo-gateway", ...SERVICES.map((s) => `kolo-${s}`)];
  const deployments = workloads.filter((w) => w.obj.kind === "Deployment");
  check(
    `${name}: one Deployment per process`,
    JSON.stringify(deployments.map((d) => d.name).sort()) === JSON.stringify([...expected].sort()),
    deployments.map((d) => d.name).join(","),
  );
  check(`${name}: the migration Job exists`, workloads.some((w) => w.obj.kind === "Job" && w.name === "kolo-migrate"));
  // The database owner's credential (CREATEROLE) reaches no Deployment: not
  // through any container's env, init containers included, nor a volume.
  for (const w of workloads.filter((x) => x.obj.kind === "Deployment")) {
    const pod = w.obj.spec.template.spec;
    const refs = [...(pod.initContainers || []), ...(pod.containers || [])]
      .flatMap((c) => c.env || [])
      .map((e) => e.valueFrom?.secretKeyRef?.name)
      .concat((pod.volumes || []).map((v) => v.secret?.secretName))
      .concat((pod.volumes || []).flatMap((v) => (v.projected?.sources || []).map((p) => p.secret?.name)));
    check(`${name}: ${w.name} never references the owner's Secret kolo-db-migrate`, !refs.includes("kolo-db-migrate"));
  }

  // Resolves a container's env to {name: {value?, source}}.
  function envOf(w, c) {
    const out = new Map();
    for (const e of c.env || []) {
      let value;
      let source = "value";
      if (e.value !== undefined) value = e.value;
      else if (e.valueFrom?.configMapKeyRef) {
        const ref = e.valueFrom.configMapKeyRef;
        source = "configmap";
        const data = configMaps.get(ref.name);
        check(`${w.name}/${c.name} ${e.name}: ConfigMap ${ref.name} key ${ref.key} exists`, data && ref.key in data);
        value = data?.[ref.key];
      } else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        source = "secret";
        check(`${w.name}/${c.name} ${e.name}: Secret name ${ref.name} is one k8s/README.md lists`, SECRET_NAMES.has(ref.name));
        check(
          `${w.name}/${c.name} ${e.name}: may reference Secret ${ref.name}/${ref.key}`,
          secretAllowed(w.name, c.name, ref.name, ref.key),
        );
      } else source = "other";
      out.set(e.name, { value, source });
    }
    check(`${w.name}/${c.name}: no envFrom (each variable is named)`, !c.envFrom);
    return out;
  }

  // A path is a file of a mounted volume (a Secret's item when it has items).
  function mountedFile(w, c, file) {
    for (const m of c.volumeMounts || []) {
      if (!file.startsWith(`${m.mountPath}/`)) continue;
      const vol = (w.spec.volumes || []).find((v) => v.name === m.name);
      const rest = file.slice(m.mountPath.length + 1);
      if (vol?.secret?.items) return vol.secret.items.some((i) => i.path === rest);
      return Boolean(vol);
    }
    return false;
  }

  // The Secret a file path comes from, when its volume is a Secret mounted read-only.
  function tlsSecretOf(w, c, file) {
    for (const m of c.volumeMounts || []) {
      if (!file.startsWith(`${m.mountPath}/`)) continue;
      const vol = (w.spec.volumes || []).find((v) => v.name === m.name);
      const rest = file.slice(m.mountPath.length + 1);
      if (!vol?.secret || m.readOnly !== true) return null;
      if (vol.secret.items && !vol.secret.items.some((i) => i.path === rest)) return null;
      return vol.secret.secretName;
    }
    return null;
  }

  function checkValue(w, c, varName, def, v) {
    const what = `${w.name}/${c.name} ${varName}=${v}`;
    if (def.type === "INT") {
      const n = /^-?[0-9]+$/.test(v) ? Number(v) : NaN;
      check(`${what} is an integer in ${def.min}..${def.max}`, n >= def.min && n <= def.max);
    } else if (def.type === "BOOL") {
      check(`${what} is a boolean`, ["true", "false", "1", "0", "yes", "no"].includes(v));
    } else if (def.type === "ADDR") {
      check(`${what} is host:port`, /^[^:].*:[0-9]{1,5}$/.test(v) && Number(v.split(":").pop()) <= 65535);
    } else if (def.type === "FILE") {
      check(`${what} is a mounted file`, v === "" || mountedFile(w, c, v));
    }
    if (ENUMS[varName]) check(`${what} is one of ${ENUMS[varName].join("|")}`, ENUMS[varName].includes(v));
    if (varName.startsWith("KOLO_RATE_")) check(`${what} is N/SECONDS`, /^[1-9][0-9]*\/[1-9][0-9]*$/.test(v));
  }

  const securityOf = (w, c) => ({ ...(w.spec.securityContext || {}), ...(c.securityContext || {}) });
  const edges = new Set(); // "src>dst:port" the configuration asks for

  for (const w of workloads) {
    const spec = w.spec;
    // 3. pod-level facts
    check(`${w.name}: automountServiceAccountToken false`, spec.automountServiceAccountToken === false);
    const sa = serviceAccounts.get(spec.serviceAccountName);
    check(`${w.name}: its own ServiceAccount ${spec.serviceAccountName}`, sa && spec.serviceAccountName === w.name);
    check(`${w.name}: ServiceAccount does not mount a token`, sa?.automountServiceAccountToken === false);
    for (const v of spec.volumes || []) {
      if (v.secret) {
        const okVol =
          (w.name === "kolo-identity" && v.secret.secretName === "kolo-jwt") ||
          (w.name !== "kolo-migrate" && v.secret.secretName === "kolo-tls") ||
          (w.name !== "kolo-gateway" && v.secret.secretName === "kolo-db-ca");
        check(`${w.name}: secret volume ${v.secret.secretName} allowed`, okVol);
        if (v.secret.secretName === "kolo-db-ca") {
          // CloudNativePG's CA Secret also holds the CA's key (ca.key).
          check(
            `${w.name}: volume of kolo-db-ca holds ca.crt alone (never the CA's key)`,
            JSON.stringify((v.secret.items || []).map((i) => i.key)) === JSON.stringify(["ca.crt"]),
            JSON.stringify(v.secret.items),
          );
        }
        check(`${w.name}: secret volume readable by the pod group only`, [256, 288].includes(v.secret.defaultMode));
      }
    }
    check(
      `${w.name}: seccomp RuntimeDefault`,
      spec.securityContext?.seccompProfile?.type === "RuntimeDefault" &&
        [...(spec.initContainers || []), ...spec.containers].every(
          (c) => !c.securityContext?.seccompProfile || c.securityContext.seccompProfile.type === "RuntimeDefault",
        ),
    );

    for (const c of [...(spec.initContainers || []), ...spec.containers]) {
      const id = `${w.name}/${c.name}`;
      const sc = securityOf(w, c);
      check(`${id}: runAsNonRoot`, sc.runAsNonRoot === true);
      check(`${id}: numeric non-root runAsUser`, Number.isInteger(sc.runAsUser) && sc.runAsUser > 0);
      check(`${id}: readOnlyRootFilesystem`, c.securityContext?.readOnlyRootFilesystem === true);
      check(`${id}: allowPrivilegeEscalation false`, c.securityContext?.allowPrivilegeEscalation === false);
      check(`${id}: drops ALL capabilities`, (c.securityContext?.capabilities?.drop || []).includes("ALL") && !c.securityContext?.capabilities?.add);
      check(`${id}: privileged not set`, !c.securityContext?.privileged);
      const r = c.resources || {};
      check(
        `${id}: cpu and memory requests and limits`,
        r.requests?.cpu && r.requests?.memory && r.limits?.cpu && r.limits?.memory,
      );
      check(`${id}: image set and the same for every container`, c.image && c.image === spec.containers[0].image);
      if (isProd) check(`${id}: prod image is pinned`, !/:(latest|dev)$/.test(c.image) && /[:@]/.test(c.image));
    }

    // 4. the main container runs a known binary with only what it reads
    const c = spec.containers[0];
    check(`${w.name}: one container`, spec.containers.length === 1);
    const binary = (c.command || [])[0];
    const bin = BINARIES.get(binary);
    if (!check(`${w.name}: command is a Kolo binary`, Boolean(bin), String(binary))) continue;
    check(`${w.name}: runs its own binary`, binary === w.name);
    const env = envOf(w, c);
    for (const [varName, { value, source }] of env) {
      const readByLibpq = LIBPQ_ENV.has(varName) && binary !== "kolo-gateway";
      if (isReadUrlPending(binary, varName)) {
        skip(`${w.name}: ${varName} is read by ${binary}`, "the binary does not read it yet (issue 24's read replicas)");
      } else {
        check(`${w.name}: ${varName} is read by ${binary}`, bin.src.includes(`"${varName}"`) || bin.vars.has(varName) || readByLibpq);
      }
      if (varName === "KOLO_HEALTH_ADDR") check(`${w.name}: KOLO_HEALTH_ADDR=${value} is host:port`, /^[^:].*:[0-9]{1,5}$/.test(value || ""));
      if (SECRET_LIKE.test(varName) && !varName.endsWith("_FILE")) {
        // A database URL may be written out when it holds no password: the
        // password is then libpq's PGPASSWORD, from a Secret.
        if (/DATABASE_URL$/.test(varName) && source === "value") {
          check(
            `${w.name}: ${varName} holds no password (PGPASSWORD from a Secret does)`,
            !hasPassword(value) && env.get("PGPASSWORD")?.source === "secret",
          );
        } else check(`${w.name}: ${varName} comes from a Secret`, source === "secret");
      }
      const def = bin.vars.get(varName);
      if (def && value !== undefined) checkValue(w, c, varName, def, value);
    }
    for (const [varName, def] of bin.vars) {
      if (def.fallback === null) check(`${w.name}: required ${varName} is set`, env.has(varName));
    }
    if (binary === "kolo-identity") {
      check(
        `${w.name}: the signing key is set (KOLO_JWT_PRIVATE_KEY or _FILE)`,
        env.has("KOLO_JWT_PRIVATE_KEY") || env.has("KOLO_JWT_PRIVATE_KEY_FILE"),
      );
      check(`${w.name}: the private seed is a file, not an environment variable`, !env.has("KOLO_JWT_PRIVATE_KEY"));
    }
    if (binary === "kolo-events" && (env.get("KOLO_PROVIDER")?.value || "demo") !== "demo") {
      // Production: kolo-events refuses to start with messages going to its mail dir.
      check(`${w.name}: a live provider has KOLO_SMTP_URL`, Boolean(env.get("KOLO_SMTP_URL")?.value));
      check(
        `${w.name}: a live provider has KOLO_SMS_URL or KOLO_SMS_OFF=true`,
        Boolean(env.get("KOLO_SMS_URL")?.value) || env.get("KOLO_SMS_OFF")?.value === "true",
      );
    }
    if (binary === "kolo-payments" && env.get("KOLO_PROVIDER")?.value === "flutterwave") {
      check(`${w.name}: flutterwave keys come from Secret kolo-flutterwave`, env.get("KOLO_FLW_SECRET_KEY")?.source === "secret");
    }
    if (binary === "kolo-payments" && env.get("KOLO_PROVIDER")?.value === "paystack") {
      check(`${w.name}: the paystack key comes from Secret kolo-paystack`, env.get("KOLO_PAYSTACK_SECRET_KEY")?.source === "secret");
    }
    // TLS: the files come from the kolo-tls Secret, mounted read-only. prod:
    // the services serve TLS and dial over TLS (CERT, KEY, CA) but demand no
    // client certificate (no CLIENT_CA: the partner ingress cannot present
    // one to gRPC backends); prod-mtls adds CLIENT_CA (the component).
    const tlsVarsAll = binary === "kolo-gateway"
      ? ["KOLO_TLS_CA_FILE", "KOLO_TLS_CERT_FILE", "KOLO_TLS_KEY_FILE"]
      : ["KOLO_TLS_CERT_FILE", "KOLO_TLS_KEY_FILE", "KOLO_TLS_CLIENT_CA_FILE", "KOLO_TLS_CA_FILE"];
    const tlsSet = tlsVarsAll.filter((v) => env.has(v));
    if (w.obj.kind !== "Job" && (isProd || tlsSet.length)) {
      for (const v of tlsSet) {
        const file = env.get(v)?.value;
        const src = file ? tlsSecretOf(w, c, file) : null;
        check(`${w.name}: ${v} is a file of the mounted Secret kolo-tls (read-only)`, src === "kolo-tls", String(file));
      }
      if (isProd) {
        const want = binary === "kolo-gateway" || clientCerts
          ? tlsVarsAll
          : tlsVarsAll.filter((v) => v !== "KOLO_TLS_CLIENT_CA_FILE");
        const what = binary === "kolo-gateway"
          ? "dials the services over TLS with a client certificate"
          : clientCerts
            ? "serves TLS and requires client certificates (all four KOLO_TLS_* files)"
            : "serves TLS without requiring client certificates (CERT, KEY, CA; no CLIENT_CA)";
        check(
          `${w.name}: ${name} ${what}`,
          JSON.stringify([...tlsSet].sort()) === JSON.stringify([...want].sort()) && want.every((v) => env.get(v)?.value),
          tlsSet.join(","),
        );
      }
    }
    if (w.obj.kind === "Job") {
      check(`${w.name}: Job never restarts in place`, spec.restartPolicy === "Never" || spec.restartPolicy === "OnFailure");
      const ttl = w.obj.spec.ttlSecondsAfterFinished;
      check(`${w.name}: the finished Job is deleted (ttlSecondsAfterFinished)`, Number.isInteger(ttl) && ttl > 0 && ttl <= 86400, String(ttl));
      const dir = env.get("KOLO_MIGRATIONS_DIR")?.value;
      check(`${w.name}: migrations folder is the image's`, dir === "/usr/local/share/kolo/migrations");
      continue;
    }

    // 5. deployments: ports, probes, Service, autoscaling, disruption budget
    check(`${w.name}: no replicas field (its HorizontalPodAutoscaler owns the count)`, w.obj.spec.replicas === undefined);
    // k8s/README.md's restart commands select by these labels.
    const labels = w.obj.metadata.labels || {};
    check(
      `${w.name}: labelled part-of kolo and component ${binary === "kolo-gateway" ? "gateway" : "service"}`,
      labels["app.kubernetes.io/part-of"] === "kolo" &&
        labels["app.kubernetes.io/component"] === (binary === "kolo-gateway" ? "gateway" : "service"),
    );
    const listen = env.get(bin.addrEnv)?.value || "";
    const listenPort = Number(listen.split(":").pop());
    const ports = c.ports || [];
    check(`${w.name}: listens on all interfaces`, listen.startsWith("0.0.0.0:"), listen);
    const isGateway = binary === "kolo-gateway";
    // Services: the kubelet's gRPC probes speak no TLS, so they call the
    // plaintext health-only listener of KOLO_HEALTH_ADDR (shared/svc).
    const health = env.get("KOLO_HEALTH_ADDR")?.value || "";
    const healthPort = isGateway ? null : Number(health.split(":").pop());
    // Services: GET /metrics on the plain-HTTP listener of KOLO_METRICS_ADDR
    // (shared/metrics); the gateway serves /metrics on its own port.
    const metricsAddr = env.get("KOLO_METRICS_ADDR")?.value || "";
    const metricsPort = isGateway ? listenPort : Number(metricsAddr.split(":").pop());
    if (isGateway) {
      check(`${w.name}: one container port, equal to ${bin.addrEnv}`, ports.length === 1 && ports[0].containerPort === listenPort);
      check(`${w.name}: /metrics is a gateway route`, read("gateway/routes.c").includes('"/metrics"'));
    } else {
      check(`${w.name}: the code reads KOLO_METRICS_ADDR`, bin.src.includes('"KOLO_METRICS_ADDR"') && /metrics_http_start\(/.test(bin.src));
      check(`${w.name}: the metrics listener serves /metrics`, read("shared/metrics/metrics_http.c").includes('"/metrics"'));
      check(`${w.name}: KOLO_METRICS_ADDR listens on all interfaces`, metricsAddr.startsWith("0.0.0.0:"), metricsAddr);
      check(
        `${w.name}: the metrics port differs from the gRPC and health ports`,
        metricsPort > 0 && metricsPort !== listenPort && metricsPort !== healthPort,
        metricsAddr,
      );
      check(`${w.name}: the code reads KOLO_HEALTH_ADDR`, bin.src.includes('"KOLO_HEALTH_ADDR"'));
      check(`${w.name}: KOLO_HEALTH_ADDR listens on all interfaces`, health.startsWith("0.0.0.0:"), health);
      check(`${w.name}: the health port differs from ${bin.addrEnv}'s`, healthPort > 0 && healthPort !== listenPort, health);
      check(
        `${w.name}: three container ports, ${bin.addrEnv} (grpc), KOLO_HEALTH_ADDR (health) and KOLO_METRICS_ADDR (metrics)`,
        ports.length === 3 &&
          ports.some((p) => p.name === "grpc" && p.containerPort === listenPort) &&
          ports.some((p) => p.name === "health" && p.containerPort === healthPort) &&
          ports.some((p) => p.name === "metrics" && p.containerPort === metricsPort),
        ports.map((p) => `${p.name}:${p.containerPort}`).join(","),
      );
      const age = Number(env.get("KOLO_RPC_MAX_CONN_AGE_S")?.value);
      const ageGrace = Number(env.get("KOLO_RPC_MAX_CONN_AGE_GRACE_S")?.value);
      check(`${w.name}: gRPC connections have a max age (KOLO_RPC_MAX_CONN_AGE_S > 0)`, age > 0, String(age));
      check(`${w.name}: and a grace to finish calls (KOLO_RPC_MAX_CONN_AGE_GRACE_S > 0)`, ageGrace > 0, String(ageGrace));
    }
    // Scrape annotations on the pod, naming the port and path it serves.
    const ann = w.obj.spec.template.metadata.annotations || {};
    check(
      `${w.name}: pod annotated for scraping (prometheus.io/scrape, port ${metricsPort}, path /metrics)`,
      ann["prometheus.io/scrape"] === "true" && ann["prometheus.io/port"] === String(metricsPort) && ann["prometheus.io/path"] === "/metrics",
      JSON.stringify(ann),
    );
    // Replicas spread over zones and nodes.
    const spread = spec.topologySpreadConstraints || [];
    for (const key of ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]) {
      const t = spread.find((x) => x.topologyKey === key);
      check(
        `${w.name}: spreads its replicas across ${key}`,
        t && t.maxSkew >= 1 && ["ScheduleAnyway", "DoNotSchedule"].includes(t.whenUnsatisfiable) && selects(t.labelSelector, w.labels),
        JSON.stringify(t),
      );
    }
    check(`${w.name}: the port is the code's default (${bin.port})`, listenPort === bin.port);
    for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      const p = c[kind];
      if (!check(`${w.name}: has a ${kind}`, Boolean(p))) continue;
      if (isGateway) {
        const want = kind === "readinessProbe" ? "/readyz" : "/healthz";
        check(`${w.name}: ${kind} is HTTP GET ${want} on ${listenPort}`, p.httpGet?.path === want && p.httpGet?.port === listenPort);
        check(`${w.name}: ${want} is a gateway route`, read("gateway/routes.c").includes(`"${want}"`));
      } else {
        check(`${w.name}: ${kind} is native gRPC on the KOLO_HEALTH_ADDR port ${healthPort}`, p.grpc?.port === healthPort && !p.grpc.service);
      }
    }
    if (!isGateway) {
      check(`${w.name}: the service serves grpc.health.v1.Health`, read("shared/rpc/rpc_server.c").includes('"grpc.health.v1.Health"'));
      check(`${w.name}: the health-only listener exists in the code`, /rpc_health_server_start\(/.test(bin.src));
      const wait = (spec.initContainers || []).find((i) => i.name === "wait-for-migrations");
      check(`${w.name}: waits for the migrations`, wait && /kolo-migrate --status/.test(wait.command.join(" ")));
      const svcName = w.name.slice(5);
      const waitDbEnv = (wait?.env || []).find((e) => e.name === "KOLO_DATABASE_URL");
      const waitDb = waitDbEnv?.valueFrom?.secretKeyRef;
      if (waitDbEnv?.value !== undefined) {
        // k8s/components/cloudnativepg: the service's own URL and password.
        const mainDb = (c.env || []).find((e) => e.name === `KOLO_${svcName.toUpperCase()}_DATABASE_URL`);
        const pw = (x) => JSON.stringify((x?.env || []).find((e) => e.name === "PGPASSWORD")?.valueFrom?.secretKeyRef);
        check(
          `${w.name}: wait-for-migrations reads with the service's own URL and password`,
          waitDbEnv.value === mainDb?.value && pw(wait) === pw(c) && pw(c) !== undefined,
          waitDbEnv.value,
        );
      } else {
        check(
          `${w.name}: wait-for-migrations reads with the service's own role (kolo-db-${svcName})`,
          waitDb?.name === `kolo-db-${svcName}` && waitDb?.key === `KOLO_${svcName.toUpperCase()}_DATABASE_URL`,
          JSON.stringify(waitDb),
        );
      }
      check(
        `${w.name}: accepts callers by their token hashes (KOLO_CALLER_TOKEN_HASHES)`,
        env.get("KOLO_CALLER_TOKEN_HASHES")?.source === "secret",
      );
    }
    {
      const own = (c.env || []).find((e) => e.name === "KOLO_INTERNAL_TOKEN")?.valueFrom?.secretKeyRef;
      check(
        `${w.name}: presents its own service token (kolo-service-tokens/${w.name.slice(5)})`,
        own?.name === "kolo-service-tokens" && own?.key === w.name.slice(5),
        JSON.stringify(own),
      );
    }
    const grace = Number(env.get("KOLO_SHUTDOWN_GRACE_MS")?.value || 10000) / 1000;
    const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] || 0);
    check(`${w.name}: terminationGracePeriodSeconds covers preStop + KOLO_SHUTDOWN_GRACE_MS`, (spec.terminationGracePeriodSeconds ?? 30) > grace + preStop);

    const svcObjs = services.filter((s) => selects({ matchLabels: s.spec.selector }, w.labels));
    check(`${w.name}: exactly one Service selects it`, svcObjs.length === 1 && svcObjs[0].metadata.name === w.name);
    for (const s of svcObjs) {
      for (const sp of s.spec.ports) {
        const target = typeof sp.targetPort === "string" ? ports.find((p) => p.name === sp.targetPort)?.containerPort : sp.targetPort;
        const want = sp.name === "metrics" && !isGateway ? metricsPort : listenPort;
        check(`${w.name}: Service port ${sp.port} reaches the container port`, target === want && sp.port === want);
        // appProtocol: the gRPC port is HTTP/2 in clear (kubernetes.io/h2c)
        // unless the services serve TLS (prod): then HTTP/2 over TLS, the
        // IANA name "https"; /metrics and the gateway are plain HTTP.
        const proto = isGateway || sp.name === "metrics" ? "http" : isProd ? "https" : "kubernetes.io/h2c";
        check(`${w.name}: Service port ${sp.name} has appProtocol ${proto}`, sp.appProtocol === proto, String(sp.appProtocol));
      }
      if (!isGateway) {
        check(`${w.name}: its Service has the metrics port (for a ServiceMonitor)`, s.spec.ports.some((sp) => sp.name === "metrics"));
      }
    }
    // prod: the image is pinned by digest, never a tag alone.
    if (isProd) {
      for (const cc of [...(spec.initContainers || []), ...spec.containers]) {
        check(`${w.name}/${cc.name}: prod image pinned by digest`, /@sha256:[0-9a-f]{64}$/.test(cc.image), cc.image);
      }
    }
    const hpa = byKind("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === w.name);
    check(`${w.name}: has a HorizontalPodAutoscaler`, hpa && hpa.spec.scaleTargetRef.kind === "Deployment" && hpa.spec.minReplicas <= hpa.spec.maxReplicas);
    if (isProd) check(`${w.name}: prod runs at least 2 replicas`, hpa?.spec.minReplicas >= 2);
    const pdb = byKind("PodDisruptionBudget").find((p) => selects(p.spec.selector, w.labels));
    check(`${w.name}: has a PodDisruptionBudget`, Boolean(pdb));
    if (pdb && hpa) check(`${w.name}: the PodDisruptionBudget never blocks a drain`, pdb.spec.maxUnavailable >= 1 || pdb.spec.minAvailable < hpa.spec.minReplicas);

    // 6. the peers it is configured with, resolved to Services
    const peerVars = [...env.keys()].filter((k) => /^KOLO_[A-Z]+_ADDR$/.test(k) && k !== bin.addrEnv && k !== "KOLO_HEALTH_ADDR" && k !== "KOLO_METRICS_ADDR");
    check(
      `${w.name}: sets exactly the peer addresses its code reads (${[...bin.peers].join(", ") || "none"})`,
      JSON.stringify([...peerVars].sort()) === JSON.stringify([...bin.peers].sort()),
      peerVars.join(","),
    );
    for (const pv of peerVars) {
      const addr = env.get(pv).value || "";
      const host = addr.slice(0, addr.lastIndexOf(":"));
      const port = Number(addr.slice(addr.lastIndexOf(":") + 1));
      const [svcName, svcNs = w.ns, svcKw] = host.split(".");
      const okHost =
        svcNs === w.ns && (svcKw === undefined || svcKw === "svc") && (host.split(".").length <= 3 || host.endsWith(".svc.cluster.local"));
      const target = services.find((s) => s.metadata.name === svcName);
      if (!check(`${w.name}: ${pv}=${addr} names a Service of this namespace`, okHost && target)) continue;
      const sp = target.spec.ports.find((p) => p.port === port);
      if (!check(`${w.name}: ${pv} port is a port of Service ${svcName}`, Boolean(sp))) continue;
      const dst = workloads.find((d) => d.obj.kind === "Deployment" && selects({ matchLabels: target.spec.selector }, d.labels));
      const dstPort = typeof sp.targetPort === "string" ? dst?.ports.find((p) => p.name === sp.targetPort)?.port : sp.targetPort;
      check(`${w.name}: ${pv} reaches kolo-${pv.split("_")[1].toLowerCase()}`, dst && dst.name === `kolo-${pv.split("_")[1].toLowerCase()}`);
      if (dst) edges.add(`${w.name}>${dst.name}:${dstPort}`);
    }
  }

  // 7. network policies
  const defaultDeny = policies.filter(
    (np) =>
      Object.keys(np.spec.podSelector || {}).length === 0 &&
      ["Ingress", "Egress"].every((t) => (np.spec.policyTypes || []).includes(t)) &&
      !np.spec.ingress &&
      !np.spec.egress,
  );
  check(`${name}: a default-deny NetworkPolicy for ingress and egress`, defaultDeny.length === 1);
  for (const w of workloads) {
    const own = policies.filter(
      (np) =>
        (np.spec.podSelector?.matchLabels || np.spec.podSelector?.matchExpressions) &&
        selects(np.spec.podSelector, w.labels),
    );
    check(`${w.name}: selected by its own NetworkPolicy (one allow-list)`, own.length === 1 && own[0].metadata.name === w.name);
  }
  // Every kolo pod to every port of every other kolo pod: allowed exactly
  // when the configuration asks for it.
  const kolo = workloads;
  for (const src of kolo) {
    for (const dst of kolo) {
      for (const p of dst.ports) {
        const key = `${src.name}>${dst.name}:${p.port}`;
        const want = edges.has(key);
        const what = `${name}: ${src.name} -> ${dst.name}:${p.port}`;
        check(`${what} ${want ? "allowed (configured)" : "denied (not configured)"}`, allowed(policies, src, dst, p.port, p.protocol) === want);
        // Each side on its own is exact too: no one-sided leftovers.
        check(`${what} ${want ? "allowed" : "denied"} by ${src.name}'s egress rules`, allowed(policies, src, dst, p.port, p.protocol, "egress") === want);
        check(`${what} ${want ? "allowed" : "denied"} by ${dst.name}'s ingress rules`, allowed(policies, src, dst, p.port, p.protocol, "ingress") === want);
      }
    }
  }
  const all = (labels, ns = "kolo", nsl = nsLabels, ip = "10.244.9.9") => ({ ns, nsLabels: nsl, labels, ip, ports: [] });
  const ingressCtl = all(
    { "app.kubernetes.io/name": "ingress-nginx" },
    "ingress-nginx",
    { "kubernetes.io/metadata.name": "ingress-nginx" },
  );
  const dns = all({ "k8s-app": "kube-dns" }, "kube-system", { "kubernetes.io/metadata.name": "kube-system" });
  const prometheus = all(
    { "app.kubernetes.io/name": "prometheus" },
    "monitoring",
    { "kubernetes.io/metadata.name": "monitoring" },
  );
  const strayMonitoring = all({ app: "grafana" }, "monitoring", { "kubernetes.io/metadata.name": "monitoring" });
  const intruderHere = all({ app: "debug-shell" });
  const otherNs = all({ app: "kolo-gateway" }, "other", { "kubernetes.io/metadata.name": "other" });
  const internet = { ip: "203.0.113.10" };
  const postgres = { ip: "198.51.100.7" };
  const metadataIp = { ip: "169.254.169.254" };
  const ingressBackends = new Set();
  for (const ing of byKind("Ingress")) {
    for (const rule of ing.spec.rules || []) {
      for (const p of rule.http.paths) {
        const s = services.find((x) => x.metadata.name === p.backend.service?.name);
        const sp = s?.spec.ports.find((x) => x.port === p.backend.service.port.number);
        const dst = s && workloads.find((d) => selects({ matchLabels: s.spec.selector }, d.labels));
        check(`${name}: Ingress ${ing.metadata.name} ${p.path} has a live backend`, Boolean(sp && dst));
        if (sp && dst) ingressBackends.add(`${dst.name}:${dst.ports.find((x) => x.name === sp.targetPort || x.port === sp.targetPort)?.port}`);
      }
    }
  }
  for (const w of kolo) {
    for (const p of w.ports) {
      const want = ingressBackends.has(`${w.name}:${p.port}`);
      check(`${name}: ingress controller -> ${w.name}:${p.port} ${want ? "allowed (an Ingress backend)" : "denied"}`, allowed(policies, ingressCtl, w, p.port) === want);
      check(`${name}: a pod of another namespace cannot reach ${w.name}:${p.port}`, !allowed(policies, otherNs, w, p.port));
      check(`${name}: a stray pod of this namespace cannot reach ${w.name}:${p.port}`, !allowed(policies, intruderHere, w, p.port));
      const scrape = w.obj.kind === "Deployment" && p.port === Number(w.obj.spec.template.metadata.annotations?.["prometheus.io/port"]);
      check(`${name}: Prometheus -> ${w.name}:${p.port} ${scrape ? "allowed (its metrics port)" : "denied"}`, allowed(policies, prometheus, w, p.port) === scrape);
      check(`${name}: another pod of namespace monitoring cannot reach ${w.name}:${p.port}`, !allowed(policies, strayMonitoring, w, p.port));
    }
    check(`${name}: ${w.name} resolves names (DNS over UDP and TCP)`, allowed(policies, w, dns, 53, "UDP") && allowed(policies, w, dns, 53, "TCP"));
    const needsDb = w.name !== "kolo-gateway";
    check(`${name}: ${w.name} ${needsDb ? "reaches" : "cannot reach"} PostgreSQL`, allowed(policies, w, postgres, 5432) === needsDb);
    const provider = w.name === "kolo-payments" || w.name === "kolo-events";
    check(`${name}: ${w.name} ${provider ? "reaches" : "cannot reach"} the provider or SMS API (HTTPS out)`, allowed(policies, w, internet, 443) === provider);
    const mailer = w.name === "kolo-events";
    for (const port of [25, 465, 587]) {
      check(`${name}: ${w.name} ${mailer ? "reaches" : "cannot reach"} a mail server on ${port}`, allowed(policies, w, internet, port) === mailer);
    }
    check(`${name}: ${w.name} cannot reach the cloud metadata address`, !allowed(policies, w, metadataIp, 80) && !allowed(policies, w, metadataIp, 443));
    check(`${name}: ${w.name} cannot reach the internet over plain HTTP`, !allowed(policies, w, internet, 80));
  }

  // 8. ingresses
  const ingresses = new Map(byKind("Ingress").map((i) => [i.metadata.name, i]));
  const http = ingresses.get("kolo-http");
  if (check(`${name}: Ingress kolo-http exists`, Boolean(http))) {
    const paths = http.spec.rules.flatMap((r) => r.http.paths);
    check(`${name}: kolo-http routes to the gateway only`, paths.every((p) => p.backend.service.name === "kolo-gateway"));
    check(`${name}: kolo-http has TLS for its host`, http.spec.tls?.[0]?.hosts?.includes(http.spec.rules[0].host) && http.spec.tls[0].secretName);
    check(`${name}: kolo-http does not publish /metrics or /readyz`, !paths.some((p) => p.path === "/" || /metrics|readyz/.test(p.path)));
  }
  const grpc = ingresses.get("kolo-grpc");
  check(`${name}: Ingress kolo-grpc exists`, Boolean(grpc));
  // prod: the services serve TLS only, so both partner Ingresses speak GRPCS;
  // with no client certificate (ingress-nginx does not send proxy-ssl-* ones
  // to gRPC backends), which is why plain prod's services demand none.
  for (const ingName of ["kolo-grpc", "kolo-grpc-internal"]) {
    const ing = ingresses.get(ingName);
    if (!ing) continue;
    const a = ing.metadata.annotations || {};
    const sslAnn = Object.keys(a).filter((k) => k.startsWith("nginx.ingress.kubernetes.io/proxy-ssl-"));
    check(`${name}: ${ingName} speaks ${isProd ? "gRPC over TLS (GRPCS)" : "gRPC"} to the backends`, a["nginx.ingress.kubernetes.io/backend-protocol"] === (isProd ? "GRPCS" : "GRPC"));
    if (name === "prod") {
      check(`${name}: ${ingName} presents no client certificate (no proxy-ssl-* annotations)`, sslAnn.length === 0, sslAnn.join(","));
      check(`${name}: ${ingName} references no kolo-grpc-upstream-tls Secret`, !JSON.stringify(ing || {}).includes("kolo-grpc-upstream-tls"));
    }
  }
  if (grpc) {
    check(`${name}: kolo-grpc has TLS for its host`, grpc.spec.tls?.[0]?.hosts?.includes(grpc.spec.rules[0].host) && grpc.spec.tls[0].secretName);
    const paths = grpc.spec.rules.flatMap((r) => r.http.paths);
    for (const svc of SERVICES) {
      const p = paths.find((x) => x.path === `/${GRPC_SERVICE.get(svc)}/`);
      check(
        `${name}: kolo-grpc routes /${GRPC_SERVICE.get(svc)}/ to kolo-${svc}`,
        p && p.pathType === "Prefix" && p.backend.service.name === `kolo-${svc}` && p.backend.service.port.number === BINARIES.get(`kolo-${svc}`).port,
      );
    }
    check(`${name}: kolo-grpc has no other route`, paths.length === SERVICES.length);
  }
  const deny = ingresses.get("kolo-grpc-internal");
  if (check(`${name}: Ingress kolo-grpc-internal exists`, Boolean(deny))) {
    const a = deny.metadata.annotations || {};
    const ranges = (a["nginx.ingress.kubernetes.io/denylist-source-range"] || "").split(",").map((s) => s.trim());
    check(`${name}: kolo-grpc-internal denies every source`, ranges.includes("0.0.0.0/0") && ranges.includes("::/0"));
    check(`${name}: kolo-grpc-internal is on the partner host`, deny.spec.rules[0].host === grpc?.spec.rules[0].host);
    const paths = deny.spec.rules.flatMap((r) => r.http.paths);
    const got = new Set(paths.map((p) => p.path));
    for (const [p, svc] of INTERNAL_PATHS) {
      const route = paths.find((x) => x.path === p);
      check(`${name}: internal-only ${p} is closed at the edge`, route && route.pathType === "Exact" && route.backend.service.name === `kolo-${svc}`);
    }
    check(`${name}: kolo-grpc-internal closes only internal-only methods`, [...got].every((p) => INTERNAL_PATHS.has(p)), [...got].filter((p) => !INTERNAL_PATHS.has(p)).join(","));
  }

  // 9. ServiceMonitor (k8s/components/monitoring): prometheus-operator's
  // CRD, checked by hand: it selects every Kolo Service, and each Service
  // has one of its endpoint ports, serving /metrics over plain HTTP.
  const monitors = objects.filter((o) => o.kind === "ServiceMonitor");
  if (name === "prod-monitoring") check(`${name}: one ServiceMonitor`, monitors.length === 1);
  for (const m of monitors) {
    check(`${at(m)} is monitoring.coreos.com/v1`, m.apiVersion === "monitoring.coreos.com/v1");
    const eps = m.spec?.endpoints || [];
    check(
      `${at(m)} has endpoints with a port name, path /metrics, scheme http`,
      eps.length > 0 && eps.every((e) => typeof e.port === "string" && e.path === "/metrics" && (e.scheme || "http") === "http"),
    );
    check(`${at(m)} looks in namespace kolo`, (m.spec?.namespaceSelector?.matchNames || []).includes("kolo"));
    for (const w of workloads.filter((x) => x.obj.kind === "Deployment")) {
      const svc = services.find((s) => selects({ matchLabels: s.spec.selector }, w.labels));
      const picked = svc && selects(m.spec.selector, svc.metadata.labels || {});
      check(`${at(m)} selects Service ${svc?.metadata.name}`, Boolean(picked));
      const port = svc?.spec.ports.find((sp) => eps.some((e) => e.port === sp.name));
      const target = port && w.ports.find((p) => p.name === port.targetPort || p.port === port.targetPort)?.port;
      const want = Number(w.obj.spec.template.metadata.annotations?.["prometheus.io/port"]);
      check(`${at(m)} scrapes ${w.name} on its metrics port ${want}`, target === want, String(target));
    }
  }
  // A PodMonitor (k8s/components/monitoring) scrapes the CloudNativePG
  // instances' exporter, port "metrics" (9187), in namespace kolo.
  const podMonitors = objects.filter((o) => o.kind === "PodMonitor");
  if (name === "prod-monitoring" || name === "prod-cloudnativepg") check(`${name}: one PodMonitor`, podMonitors.length === 1);
  for (const m of podMonitors) {
    const eps = m.spec?.podMetricsEndpoints || [];
    check(`${at(m)} looks in namespace kolo`, (m.spec?.namespaceSelector?.matchNames || []).includes("kolo"));
    check(`${at(m)} scrapes the port named metrics`, eps.length > 0 && eps.every((e) => e.port === "metrics" && (e.scheme || "http") === "http"));
  }

  // 10. PostgreSQL on CloudNativePG (k8s/components/cloudnativepg): the
  // Cluster's promises (docs/ha.md) and every process pointed at it.
  const clusters = objects.filter((o) => o.kind === "Cluster");
  if (name === "prod-cloudnativepg") check(`${name}: one CloudNativePG Cluster`, clusters.length === 1);
  for (const cl of clusters) checkCnpg(cl);
  // No password in the clear anywhere: env values, init containers
  // included, and ConfigMaps.
  for (const w of workloads) {
    for (const cc of [...(w.spec.initContainers || []), ...w.spec.containers]) {
      for (const e of cc.env || []) {
        if (e.value !== undefined) check(`${w.name}/${cc.name} ${e.name}: no password in the clear`, !hasPassword(e.value) && !/PASSWORD/.test(e.name));
      }
    }
  }
  for (const [cm, data] of configMaps) {
    for (const [k, v] of Object.entries(data)) check(`${name}: ConfigMap ${cm} ${k}: no password in the clear`, !hasPassword(v) && !/PASSWORD/.test(k));
  }

  function checkCnpg(cl) {
    const spec = cl.spec || {};
    const n = cl.metadata.name;
    const ns = cl.metadata.namespace;
    check(`${at(cl)} is postgresql.cnpg.io/v1`, cl.apiVersion === "postgresql.cnpg.io/v1");
    check(`${at(cl)} has 3 instances`, spec.instances === 3, String(spec.instances));
    // Synchronous replication (CloudNativePG 1.24+ stanza; 1.25+
    // dataDurability, 1.28+ failoverQuorum): ANY/FIRST n of the standbys,
    // writes wait rather than drop to asynchronous.
    const sync = spec.postgresql?.synchronous;
    check(
      `${at(cl)} has one synchronous standby or more (postgresql.synchronous method any|first, number 1..instances-1)`,
      sync && ["any", "first"].includes(sync.method) && Number.isInteger(sync.number) && sync.number >= 1 && sync.number < spec.instances,
      JSON.stringify(sync),
    );
    check(`${at(cl)} keeps data durability required (never preferred: RPO 0)`, sync && (sync.dataDurability ?? "required") === "required", String(sync?.dataDurability));
    check(`${at(cl)} sets no legacy minSyncReplicas/maxSyncReplicas beside it`, spec.minSyncReplicas === undefined && spec.maxSyncReplicas === undefined);
    check(`${at(cl)} promotes only with a failover quorum`, sync?.failoverQuorum === true);
    const params = spec.postgresql?.parameters || {};
    check(`${at(cl)} synchronous_commit on (or remote_apply)`, ["on", "remote_apply"].includes(params.synchronous_commit), String(params.synchronous_commit));
    check(`${at(cl)} leaves synchronous_standby_names to the operator`, !("synchronous_standby_names" in params));
    check(`${at(cl)} has storage with a size`, Boolean(spec.storage?.size));
    const r = spec.resources || {};
    check(`${at(cl)} has cpu and memory requests and limits`, Boolean(r.requests?.cpu && r.requests?.memory && r.limits?.cpu && r.limits?.memory));
    check(`${at(cl)} keeps the operator's PodDisruptionBudget`, spec.enablePDB !== false);
    const aff = spec.affinity || {};
    check(
      `${at(cl)} never puts two instances on one node (required anti-affinity on kubernetes.io/hostname)`,
      aff.enablePodAntiAffinity !== false && aff.podAntiAffinityType === "required" && (aff.topologyKey ?? "kubernetes.io/hostname") === "kubernetes.io/hostname",
      JSON.stringify(aff),
    );
    check(`${at(cl)} leaves backups to a documented hook (no backup or plugins)`, spec.backup === undefined && spec.plugins === undefined);
    check(`${at(cl)} has no superuser Secret`, spec.enableSuperuserAccess !== true);

    // Roles: the migrator owns the database and creates roles; every role
    // the migrations create is managed, LOGIN, no other privilege, with its
    // own password Secret (a name k8s/README.md lists).
    const initdb = spec.bootstrap?.initdb || {};
    const roles = new Map((spec.managed?.roles || []).map((x) => [x.name, x]));
    const owner = roles.get(initdb.owner);
    check(
      `${at(cl)} bootstraps database ${initdb.database} owned by a managed role that may create roles`,
      Boolean(initdb.database && owner && owner.login === true && owner.createrole === true && owner.superuser !== true),
      JSON.stringify(initdb),
    );
    check(
      `${at(cl)} owner reads replication status (pg_read_all_stats, for kolo_replica_as_of)`,
      Array.isArray(owner?.inRoles) && owner.inRoles.length === 1 && owner.inRoles[0] === "pg_read_all_stats",
      JSON.stringify(owner?.inRoles),
    );
    check(
      `${at(cl)} owner's password is the Secret the migration Job uses`,
      owner?.passwordSecret?.name === initdb.secret?.name && initdb.secret?.name === "kolo-pg-migrate",
    );
    for (const role of MIGRATION_ROLES) {
      const x = roles.get(role);
      check(
        `${at(cl)} manages role ${role} (LOGIN, nothing else)`,
        x && (x.ensure ?? "present") === "present" && x.login === true &&
          !x.superuser && !x.createrole && !x.createdb && !x.replication && !x.bypassrls && !x.disablePassword,
        JSON.stringify(x),
      );
      const secret = x?.passwordSecret?.name;
      check(`${at(cl)} role ${role} has its password Secret kolo-pg-${role.slice(5)}`, secret === `kolo-pg-${role.slice(5)}` && SECRET_NAMES.has(secret), String(secret));
    }
    for (const x of roles.values()) {
      check(`${at(cl)} manages only the migrator and the migrations' roles (${x.name})`, x.name === initdb.owner || MIGRATION_ROLES.has(x.name));
    }

    // Every process at the operator's Services: the writes and the Job at
    // <cluster>-rw, the lagging reads at <cluster>-ro.
    const hosts = (suffix) => [`${n}-${suffix}`, `${n}-${suffix}.${ns}`, `${n}-${suffix}.${ns}.svc`, `${n}-${suffix}.${ns}.svc.cluster.local`];
    const rw = hosts("rw");
    const ro = hosts("ro");
    const timeoutOk = (u) => /^[0-9]+$/.test(u.connect_timeout || "") && Number(u.connect_timeout) >= 2 && Number(u.connect_timeout) <= 30;
    function checkUrl(w, cc, varName, want) {
      const e = (cc.env || []).find((x) => x.name === varName);
      const u = conninfo(e?.value);
      const what = `${w.name}/${cc.name} ${varName}`;
      if (!check(`${what} is written out (a conninfo without password)`, e?.value !== undefined && !hasPassword(e.value), JSON.stringify(e))) return;
      const hs = (u.host || "").split(",");
      check(`${what} points at ${n}-${want.rw ? "rw" : "ro"}`, hs.every((h) => (want.rw ? rw : ro).includes(h)), u.host);
      if (want.rw) check(`${what} asks for the primary (target_session_attrs=read-write)`, u.target_session_attrs === "read-write", String(u.target_session_attrs));
      else check(`${what} does not ask for the primary`, u.target_session_attrs !== "read-write" && u.target_session_attrs !== "primary");
      check(`${what} bounds each connection attempt (connect_timeout 2..30 s)`, timeoutOk(u), String(u.connect_timeout));
      check(`${what} is role ${want.user} on database ${initdb.database}`, u.user === want.user && u.dbname === initdb.database, `${u.user} ${u.dbname}`);
      check(
        `${what} verifies the server (sslmode=verify-full, the mounted kolo-db-ca)`,
        u.sslmode === "verify-full" && tlsSecretOf(w, cc, u.sslrootcert || "") === "kolo-db-ca",
        `${u.sslmode} ${u.sslrootcert}`,
      );
      const pw = (cc.env || []).find((x) => x.name === "PGPASSWORD")?.valueFrom?.secretKeyRef;
      check(`${what}'s password is PGPASSWORD from ${want.secret}/password`, pw?.name === want.secret && pw?.key === "password", JSON.stringify(pw));
    }
    for (const w of workloads) {
      const main = w.spec.containers[0];
      if (w.obj.kind === "Job") {
        checkUrl(w, main, "KOLO_DATABASE_URL", { rw: true, user: initdb.owner, secret: initdb.secret?.name });
        continue;
      }
      const svc = w.name.slice(5);
      if (!SERVICES.includes(svc)) continue;
      const role = roles.get(`kolo_${svc}`);
      const want = { rw: true, user: `kolo_${svc}`, secret: role?.passwordSecret?.name };
      checkUrl(w, main, `KOLO_${svc.toUpperCase()}_DATABASE_URL`, want);
      const wait = (w.spec.initContainers || []).find((i) => i.name === "wait-for-migrations");
      if (wait) checkUrl(w, wait, "KOLO_DATABASE_URL", want);
      const readVar = `KOLO_${svc.toUpperCase()}_READ_DATABASE_URL`;
      if (READ_SERVICES.has(svc)) checkUrl(w, main, readVar, { ...want, rw: false });
      else check(`${w.name}: no ${readVar} (its reads stay on the primary)`, !(main.env || []).some((x) => x.name === readVar));
    }
    // Nothing else of Kolo names the old external-database Secrets.
    const text = JSON.stringify(workloads.map((w) => w.spec));
    for (const old of ["kolo-db-migrate", ...SERVICES.map((s) => `kolo-db-${s}`)]) {
      check(`${name}: no process references ${old} (the external database's Secret)`, !text.includes(`"${old}"`));
    }

    // NetworkPolicies: the instances (and the operator's Jobs, same label)
    // reach each other; the six services and the Job reach 5432; the
    // operator its ports, Prometheus the exporter; nobody else anything.
    const inst = (i) => ({
      ns,
      nsLabels,
      labels: { "cnpg.io/cluster": n, "cnpg.io/podRole": "instance", "cnpg.io/instanceName": `${n}-${i}` },
      ip: `10.244.3.${i}`,
      ports: [
        { name: "postgresql", port: 5432, protocol: "TCP" },
        { name: "status", port: 8000, protocol: "TCP" },
        { name: "metrics", port: 9187, protocol: "TCP" },
      ],
    });
    const db1 = inst(1);
    const db2 = inst(2);
    for (const w of workloads) {
      const needs = w.name !== "kolo-gateway";
      check(`${name}: ${w.name} ${needs ? "reaches" : "cannot reach"} ${n} on 5432`, allowed(policies, w, db1, 5432) === needs);
      check(`${name}: ${w.name} cannot reach ${n}'s status and metrics ports`, !allowed(policies, w, db1, 8000) && !allowed(policies, w, db1, 9187));
      for (const p of w.ports) check(`${name}: ${n} cannot reach ${w.name}:${p.port}`, !allowed(policies, db1, w, p.port));
    }
    for (const port of [5432, 8000]) {
      check(`${name}: ${n} instances reach each other on ${port} (replication, status)`, allowed(policies, db2, db1, port));
    }
    const operator = all({ "app.kubernetes.io/name": "cloudnative-pg" }, "cnpg-system", { "kubernetes.io/metadata.name": "cnpg-system" });
    for (const port of [8000, 5432]) check(`${name}: the CloudNativePG operator reaches ${n} on ${port}`, allowed(policies, operator, db1, port, "TCP", "ingress"));
    check(`${name}: Prometheus reaches ${n}'s exporter (9187) and nothing else of it`, allowed(policies, prometheus, db1, 9187, "TCP", "ingress") && !allowed(policies, prometheus, db1, 5432, "TCP", "ingress"));
    for (const port of [5432, 8000, 9187]) {
      check(`${name}: a stray pod of this namespace cannot reach ${n} on ${port}`, !allowed(policies, intruderHere, db1, port));
      check(`${name}: a pod of another namespace cannot reach ${n} on ${port}`, !allowed(policies, otherNs, db1, port));
    }
    check(`${name}: ${n} reaches the Kubernetes API (443)`, allowed(policies, db1, { ip: "10.96.0.1" }, 443));
    check(`${name}: ${n} cannot reach the internet over plain HTTP or mail`, !allowed(policies, db1, internet, 80) && !allowed(policies, db1, internet, 25));
    check(`${name}: ${n} resolves names`, allowed(policies, db1, dns, 53, "UDP"));
    for (const m of podMonitors) {
      check(`${at(m)} selects the instances of ${n}`, selects(m.spec.selector, db1.labels));
    }
  }
}

// --- the Dockerfile -----------------------------------------------------------------------

function aptPackages(stageText) {
  const pkgs = [];
  for (const m of stageText.matchAll(/apt-get install([^&]*)/g)) {
    for (const tok of m[1].replace(/\\\n/g, " ").split(/\s+/)) {
      if (tok && !tok.startsWith("-") && tok !== "\\") pkgs.push(tok);
    }
  }
  return pkgs;
}

function checkDockerfile(objects) {
  const text = read("Dockerfile");
  const stages = text.split(/^FROM /m).slice(1);
  check("Dockerfile: two stages on Debian bookworm", stages.length === 2 && /debian:bookworm/.test(text));
  if (stages.length !== 2) return;
  const [buildStage, runStage] = stages;
  const deps = read("scripts/lib/deps.sh").match(/KOLO_DEPS=\(([\s\S]*?)\)/)[1].split(/\s+/).filter(Boolean);
  const buildPkgs = new Set(aptPackages(buildStage));
  for (const d of deps) {
    if (d === "postgresql-15" || d === "curl" || d === "libcmocka-dev") continue; // test-only
    check(`Dockerfile: build stage installs ${d} (scripts/lib/deps.sh)`, buildPkgs.has(d));
  }
  // No test library: tests/ and bench/ are not even configured.
  check("Dockerfile: build stage installs no test library (libcmocka-dev)", !buildPkgs.has("libcmocka-dev"));
  check("Dockerfile: configures with KOLO_BUILD_TESTS=OFF", /-DKOLO_BUILD_TESTS=OFF/.test(buildStage));
  {
    const cm = read("CMakeLists.txt");
    check("CMakeLists.txt: option KOLO_BUILD_TESTS", /option\(KOLO_BUILD_TESTS\b/.test(cm));
    check(
      "CMakeLists.txt: KOLO_BUILD_TESTS=OFF leaves tests/, bench/ and cmocka out",
      /elseif\(KOLO_BUILD_TESTS\)\s*\n\s*add_subdirectory\(tests\)\s*\n\s*add_subdirectory\(bench\)/.test(cm) &&
        /if\(KOLO_BUILD_TESTS OR KOLO_FUZZ\)\s*\n\s*pkg_check_modules\(CMOCKA/.test(cm),
    );
  }
  // Stripped programs: installed with install -s, so no debug info ships.
  check("Dockerfile: installs the programs stripped (install -s)", /install -s -m 0755 -t \/out/.test(buildStage));
  // OCI labels, the build's facts passed in as ARGs.
  for (const l of ["title", "version", "revision", "created", "source"]) {
    check(`Dockerfile: OCI label org.opencontainers.image.${l}`, new RegExp(`org\\.opencontainers\\.image\\.${l}=`).test(runStage));
  }
  for (const a of ["KOLO_VERSION", "KOLO_REVISION", "KOLO_CREATED"]) {
    check(`Dockerfile: ARG ${a} feeds a label`, new RegExp(`^ARG ${a}\\b`, "m").test(runStage) && runStage.includes(`\${${a}}`));
  }
  check("Dockerfile: builds RelWithDebInfo", /CMAKE_BUILD_TYPE=RelWithDebInfo/.test(buildStage));
  const runPkgs = aptPackages(runStage);
  check("Dockerfile: runtime stage installs no -dev package or compiler", runPkgs.every((p) => !/-dev$|^build-essential$|^gcc|^cmake$/.test(p)));
  const user = runStage.match(/^USER\s+(\d+)(?::(\d+))?\s*$/m);
  check("Dockerfile: runs as a numeric non-root user", user && Number(user[1]) > 0);
  const uids = new Set();
  for (const o of objects) {
    const spec = o.spec?.template?.spec;
    if (spec) for (const c of [...(spec.initContainers || []), ...spec.containers]) uids.add({ ...spec.securityContext, ...c.securityContext }.runAsUser);
  }
  check("Dockerfile: its user is the manifests' runAsUser", user && uids.size === 1 && uids.has(Number(user[1])), [...uids].join(","));
  const commands = new Set();
  for (const o of objects) {
    const spec = o.spec?.template?.spec;
    if (spec) for (const c of [...(spec.initContainers || []), ...spec.containers]) commands.add(c.command[0] === "/bin/sh" ? "kolo-migrate" : c.command[0]);
  }
  for (const cmd of [...commands, "kolo-health", "kolo-keygen"]) {
    check(`Dockerfile: the image has ${cmd} in /usr/local/bin`, new RegExp(`/${cmd}\\s`).test(buildStage) && /COPY --from=build \/out\/ \/usr\/local\/bin\//.test(runStage));
  }
  check("Dockerfile: the migrations are in the image", /COPY migrations\/ \/usr\/local\/share\/kolo\/migrations\//.test(runStage));
  check(".dockerignore keeps build folders and node_modules out", /^build-\*$/m.test(read(".dockerignore")) && /node_modules/.test(read(".dockerignore")));

  // Every library the binaries load comes with a runtime package (or one of
  // their dependencies), as this machine's dpkg database says.
  // A sanitizer build links every private dependency of gRPC, which the
  // image's build does not: only a plain build tells what the image needs.
  const binsOf = (dir) =>
    [
      ...SERVICES.map((s) => `services/${s}/kolo-${s}`),
      "gateway/kolo-gateway",
      "tools/migrate/kolo-migrate",
      "tools/health/kolo-health",
      "tools/keygen/kolo-keygen",
    ].map((b) => path.join(dir, b));
  const plain = (dir) =>
    binsOf(dir).every(
      (b) => fs.existsSync(b) && !/\[lib(asan|ubsan|tsan)\./.test(execFileSync("readelf", ["-d", b], { encoding: "utf8" })),
    );
  const libDir = libBinDirs.find(plain);
  if (!libDir) return skip("Dockerfile: runtime libraries of the binaries", "no plain (non-sanitizer) build given with --lib-bin-dir");
  const bins = binsOf(libDir);
  // One dpkg-query for every installed package's dependencies.
  const depends = new Map();
  for (const line of execFileSync("dpkg-query", ["-W", "-f=${Package}\t${Depends},${Pre-Depends}\n"], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  }).split("\n")) {
    const [pkg, deps = ""] = line.split("\t");
    const list = deps.split(/[,|]/).map((d) => d.trim().split(/[\s:(]/)[0]).filter(Boolean);
    depends.set(pkg, [...(depends.get(pkg) || []), ...list]);
  }
  const closure = new Set();
  const queue = [...runPkgs, "libc6"];
  while (queue.length) {
    const p = queue.shift();
    if (closure.has(p)) continue;
    closure.add(p);
    queue.push(...(depends.get(p) || []));
  }
  const needed = new Map(); // binary -> [lib]
  for (const b of bins) {
    const dyn = execFileSync("readelf", ["-d", b], { encoding: "utf8" });
    needed.set(b, [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]));
  }
  const libs = [...new Set([...needed.values()].flat())];
  const owners = new Map(libs.map((l) => [l, []]));
  // dpkg's file lists say which package owns each library (any owner will
  // do: libc6 and libc6-i386 both have a libm.so.6); reading them directly
  // is much faster than dpkg-query -S with many patterns.
  const info = "/var/lib/dpkg/info";
  for (const f of fs.readdirSync(info).filter((x) => x.endsWith(".list"))) {
    const pkg = f.replace(/(:[a-z0-9_]+)?\.list$/, "");
    for (const line of fs.readFileSync(path.join(info, f), "utf8").split("\n")) {
      const who = owners.get(path.basename(line));
      if (who && !who.includes(pkg)) who.push(pkg);
    }
  }
  for (const [b, list] of needed) {
    for (const lib of list) {
      const who = owners.get(lib);
      check(`Dockerfile: ${path.basename(b)} needs ${lib}, which the runtime packages bring`, who.some((p) => closure.has(p)), who.join(",") || "no package owns it");
    }
  }
}

// --- the migration Job and the wait script against PostgreSQL ----------------------------

function run(cmd, argv, env, timeoutMs) {
  return spawnSync(cmd, argv, { env: { ...process.env, ...env }, encoding: "utf8", timeout: timeoutMs });
}

function checkMigrationOrdering(objects) {
  const pg = process.env.KOLO_TEST_PG;
  if (!pg) return skip("migration Job and wait-for-migrations against PostgreSQL", "KOLO_TEST_PG not set");
  const migrate = binDir && path.join(binDir, "tools/migrate/kolo-migrate");
  if (!migrate || !fs.existsSync(migrate)) return skip("migration Job and wait-for-migrations against PostgreSQL", "no kolo-migrate in --bin-dir");
  const psql = ["/usr/lib/postgresql/15/bin/psql", "/usr/bin/psql"].find((p) => fs.existsSync(p));
  if (!psql) return skip("migration Job and wait-for-migrations against PostgreSQL", "no psql");
  const job = objects.find((o) => o.kind === "Job" && o.metadata.name === "kolo-migrate");
  const dep = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "kolo-ledger");
  const wait = dep.spec.template.spec.initContainers.find((c) => c.name === "wait-for-migrations");

  // The image's paths, mapped to this machine: the binary's folder on PATH,
  // the repository's migrations, and a scratch folder for /tmp.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kolo-k8s-"));
  const db = `kolo_k8s_check_${process.pid}`;
  const url = `${pg.replace(/dbname=\S+/, "")} dbname=${db}`;
  const env = {
    PATH: `${path.dirname(migrate)}:${process.env.PATH}`,
    KOLO_DATABASE_URL: url,
    KOLO_MIGRATIONS_DIR: path.join(root, "migrations"),
  };
  // The init container waits as the service's own role (kolo_ledger), not
  // as the owner: it must see the Job's work through 0016's grant.
  const waitEnv = { ...env, KOLO_DATABASE_URL: `${url.replace(/user=\S+/, "")} user=kolo_ledger` };
  const script = wait.command[2].replaceAll("/tmp/", `${scratch}/`);
  const sh = [wait.command[1], script];
  try {
    const made = run(psql, [pg, "-qXc", `CREATE DATABASE ${db}`], {}, 30000);
    if (!check("scratch database for the ordering test", made.status === 0, made.stderr)) return;
    const before = run(wait.command[0], sh, waitEnv, 3000);
    // Before the Job the role may not even exist yet (a fresh cluster):
    // waiting is what matters.
    check(
      "wait-for-migrations keeps waiting while migrations are pending",
      before.error?.code === "ETIMEDOUT" && /waiting for the kolo-migrate Job/.test(before.stdout),
      `status ${before.status} ${before.stdout.slice(0, 200)}`,
    );
    const jobC = job.spec.template.spec.containers[0];
    const applied = run(jobC.command[0] === "kolo-migrate" ? migrate : jobC.command[0], jobC.command.slice(1), env, 120000);
    check("the Job's command applies the migrations", applied.status === 0, applied.stderr.slice(-400));
    const after = run(wait.command[0], sh, waitEnv, 20000);
    check("wait-for-migrations (as kolo_ledger) exits 0 once the Job has run", after.status === 0, `${after.status} ${after.stdout.slice(-300)}`);
    const again = run(migrate, jobC.command.slice(1), env, 60000);
    check("running the Job again changes nothing", again.status === 0 && /nothing to apply/.test(again.stderr), again.stderr.slice(-200));
  } finally {
    run(psql, [pg, "-qXc", `DROP DATABASE IF EXISTS ${db}`], {}, 30000);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

// --- main ---------------------------------------------------------------------------------

let prodObjects = null;
for (const { name, file } of builds) {
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"));
  const errors = docs.flatMap((d) => d.errors);
  if (!check(`${name}: kustomize output parses as YAML`, errors.length === 0, errors.map((e) => e.message).join("; "))) continue;
  const objects = docs.map((d) => d.toJS()).filter(Boolean);
  check(`${name}: builds objects`, objects.length > 0);
  checkBuild(name, objects);
  if (name === "prod" || !prodObjects) prodObjects = objects;
}
{
  // The prod overlay pins the image by digest (the release pipeline fills
  // in the placeholder) and has no tag-only image entry.
  const prodK = read("k8s/overlays/prod/kustomization.yaml");
  const images = prodK.match(/^images:\n((?:\s+.*\n)+)/m)?.[1] || "";
  check("k8s/overlays/prod pins images by digest", /digest:\s*sha256:[0-9a-f]{64}\b/.test(images), images.trim());
  check("k8s/overlays/prod has no newTag (tag-only image)", !/newTag:/.test(images));
}
if (prodObjects) {
  checkDockerfile(prodObjects);
  checkMigrationOrdering(prodObjects);
}
console.log(`k8s: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed ? 1 : 0);
