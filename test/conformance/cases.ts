// Conformance case files (conformance/README.md): loading a tree of them, finding each case's fixture,
// and expanding every step into what the runner needs — the objects in force as compiler sources, the Pods in
// force, and every check broken down into single cells (one source, one destination, one protocol and port).

import { REPO_ROOT } from '../repoRoot.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { SourceText } from '../../compiler/ingest/documents.js';
import type { Protocol } from './frames.js';
import { parseTrafficCheck, type TrafficCheck } from './traffic.js';
import { parseSnatCheck, type SnatCheck } from './snat.js';
import { parseTraceCheck, type TraceCheck } from './trace.js';
import { parseFlowRecordCheck, type FlowRecordCheck } from './flowrecord.js';

export type Verdict = 'allow' | 'drop' | 'reject' | 'deny';
export const VERDICTS: readonly Verdict[] = ['allow', 'drop', 'reject', 'deny'];
const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP', 'ICMP'];

/** A destination: a Pod (`ns/name`) or any other address. */
export type Target = { pod: string } | { ip: string };

export interface ProbeSpec {
  /** `ns/name` of the source Pod. */
  from: string;
  to: Target;
  protocol: Protocol;
  /** TCP/UDP/SCTP destination port. */
  port?: number;
  /** Fixed source port (TCP/UDP/SCTP) or ICMP identifier; otherwise the runner picks one. */
  sourcePort?: number;
  /** ICMP type and code (default echo request 8/0). */
  icmp?: { type: number; code: number };
}

export interface Cell extends ProbeSpec {
  expected: Verdict;
}

export interface MatrixCheck {
  kind: 'matrix';
  label: string;
  protocol: Protocol;
  ports: number[];
  /** Row and column order. */
  pods: string[];
  sourcePort?: number;
  /** Every ordered pair except a Pod to itself, for each port, in (port, from, to) order. */
  cells: Cell[];
}

export interface FlowCheck {
  kind: 'flow';
  label: string;
  cell: Cell;
}

export interface AttributionCheck {
  kind: 'attribution';
  label: string;
  probe: ProbeSpec;
  /** `none`, or `K8sNetworkPolicy/NS/NAME`, `AntreaNetworkPolicy/NS/NAME`, `AntreaClusterNetworkPolicy/NAME`. */
  policy: string;
  rule?: string;
  action?: string;
}

export type Check = MatrixCheck | FlowCheck | AttributionCheck | TrafficCheck | TraceCheck | FlowRecordCheck | SnatCheck;

export interface PodInfo {
  namespace: string;
  name: string;
  /** `namespace/name`. */
  key: string;
  node?: string;
  ip?: string;
  hostNetwork: boolean;
  labels: Record<string, string>;
  /** Added by the step's objects rather than the fixture. */
  fromStep: boolean;
}

export interface NodeInfo {
  name: string;
  internalIP?: string;
  podCIDR?: string;
}

export interface Relabel {
  pod?: string;
  namespace?: string;
  labels: Record<string, string>;
}

export interface InvalidSpec {
  kind: string;
  name: string;
  namespace?: string;
  apiVersion?: string;
}

export interface StepObjectRef {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  /** 1-based first and last line of this object's document in the step source. */
  firstLine: number;
  lastLine: number;
}

export interface Step {
  /** 1-based, as people count steps. */
  number: number;
  objects: Record<string, unknown>[];
  relabel: Relabel[];
  /** Everything in force: the fixture (relabelled) and the step's objects, as compiler input. */
  sources: SourceText[];
  /** Name of the source holding the step's objects (absent when the step has none). */
  stepSourceName?: string;
  stepObjects: StepObjectRef[];
  pods: PodInfo[];
  nodes: NodeInfo[];
  invalid?: InvalidSpec;
  checks: Check[];
}

export interface Case {
  id: string;
  /** Path of the case file. */
  file: string;
  fixture: { name: string; file: string };
  source?: Record<string, unknown>;
  notes?: string;
  steps: Step[];
}

export class CaseError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Small validation helpers

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Ctx {
  constructor(readonly file: string) {}
  fail(where: string, message: string): never {
    throw new CaseError(this.file, `${where}: ${message}`);
  }
  obj(v: unknown, where: string): Obj {
    if (!isObj(v)) this.fail(where, 'must be a mapping');
    return v;
  }
  str(v: unknown, where: string): string {
    if (typeof v !== 'string' || v === '') this.fail(where, 'must be a non-empty string');
    return v;
  }
  port(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) this.fail(where, 'must be a port number (0-65535)');
    return v;
  }
  verdict(v: unknown, where: string): Verdict {
    if (typeof v !== 'string' || !VERDICTS.includes(v as Verdict)) this.fail(where, `must be one of ${VERDICTS.join(', ')}`);
    return v as Verdict;
  }
  protocol(v: unknown, where: string): Protocol {
    const p = typeof v === 'string' ? v.toUpperCase() : v;
    if (typeof p !== 'string' || !PROTOCOLS.includes(p as Protocol)) this.fail(where, `must be one of ${PROTOCOLS.join(', ')}`);
    return p as Protocol;
  }
  labels(v: unknown, where: string): Record<string, string> {
    const o = this.obj(v, where);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) out[k] = val === null || val === undefined ? '' : String(val);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Patterns

/** Whether an override pattern (`ns/pod`, `ns/*`, `*\/pod`, `*\/*`) covers the Pod `ns/name`. */
export function patternMatches(pattern: string, podKey: string): boolean {
  const [pns, pname, ...rest] = pattern.split('/');
  if (pns === undefined || pname === undefined || rest.length) throw new Error(`bad Pod pattern "${pattern}" (want ns/pod, ns/*, */pod or */*)`);
  const slash = podKey.indexOf('/');
  const ns = podKey.slice(0, slash);
  const name = podKey.slice(slash + 1);
  return (pns === '*' || pns === ns) && (pname === '*' || pname === name);
}

export function targetLabel(t: Target): string {
  return 'pod' in t ? t.pod : `{ip ${t.ip}}`;
}

export function probeLabel(p: ProbeSpec): string {
  const what =
    p.protocol === 'ICMP'
      ? `ICMP${p.icmp ? ` ${p.icmp.type}/${p.icmp.code}` : ''}`
      : `${p.protocol}/${p.port ?? '?'}${p.sourcePort !== undefined ? ` from port ${p.sourcePort}` : ''}`;
  return `${p.from} -> ${targetLabel(p.to)} ${what}`;
}

// ---------------------------------------------------------------------------------------------
// Objects in force

interface ParsedFixture {
  file: string;
  text: string;
  docs: Obj[];
}

const fixtureCache = new Map<string, ParsedFixture>();

function readFixture(file: string): ParsedFixture {
  let f = fixtureCache.get(file);
  if (!f) {
    const text = readFileSync(file, 'utf8');
    const docs: Obj[] = [];
    for (const d of parseAllDocuments(text)) {
      if (d.errors.length) throw new CaseError(file, `YAML error: ${d.errors[0]?.message ?? 'unknown'}`);
      const v: unknown = d.toJS();
      if (isObj(v)) docs.push(v);
    }
    f = { file, text, docs };
    fixtureCache.set(file, f);
  }
  return f;
}

function meta(o: Obj): Obj {
  return isObj(o['metadata']) ? o['metadata'] : {};
}

function podInfo(o: Obj, fromStep: boolean): PodInfo {
  const m = meta(o);
  const spec = isObj(o['spec']) ? o['spec'] : {};
  const status = isObj(o['status']) ? o['status'] : {};
  const namespace = typeof m['namespace'] === 'string' ? m['namespace'] : 'default';
  const name = String(m['name'] ?? '');
  const labels: Record<string, string> = {};
  if (isObj(m['labels'])) for (const [k, v] of Object.entries(m['labels'])) labels[k] = v === null ? '' : String(v);
  const info: PodInfo = { namespace, name, key: `${namespace}/${name}`, hostNetwork: spec['hostNetwork'] === true, labels, fromStep };
  if (typeof spec['nodeName'] === 'string') info.node = spec['nodeName'];
  if (typeof status['podIP'] === 'string') info.ip = status['podIP'];
  return info;
}

function nodeInfo(o: Obj): NodeInfo {
  const m = meta(o);
  const spec = isObj(o['spec']) ? o['spec'] : {};
  const status = isObj(o['status']) ? o['status'] : {};
  const info: NodeInfo = { name: String(m['name'] ?? '') };
  if (typeof spec['podCIDR'] === 'string') info.podCIDR = spec['podCIDR'];
  const addresses = Array.isArray(status['addresses']) ? status['addresses'] : [];
  for (const a of addresses) {
    if (isObj(a) && a['type'] === 'InternalIP' && typeof a['address'] === 'string') {
      info.internalIP = a['address'];
      break;
    }
  }
  return info;
}

function isKind(o: Obj, kind: string): boolean {
  const api = o['apiVersion'];
  return o['kind'] === kind && (api === undefined || api === 'v1');
}

/** The fixture with the step's relabels applied, as compiler input (the original text when nothing changes). */
function relabelledFixture(ctx: Ctx, fx: ParsedFixture, relabel: Relabel[], where: string, displayName: string): { source: SourceText; docs: Obj[] } {
  if (relabel.length === 0) return { source: { name: displayName, text: fx.text }, docs: fx.docs };
  const docs = fx.docs.map((d) => structuredClone(d));
  relabel.forEach((r, i) => {
    const at = `${where}.relabel[${i}]`;
    let target: Obj | undefined;
    if (r.pod !== undefined) {
      const [ns, name] = r.pod.split('/');
      target = docs.find((d) => isKind(d, 'Pod') && (meta(d)['namespace'] ?? 'default') === ns && meta(d)['name'] === name);
      if (!target) ctx.fail(at, `no Pod ${r.pod} in fixture ${basename(fx.file)}`);
    } else {
      target = docs.find((d) => isKind(d, 'Namespace') && meta(d)['name'] === r.namespace);
      if (!target) ctx.fail(at, `no Namespace ${r.namespace ?? '?'} in fixture ${basename(fx.file)}`);
    }
    const m = isObj(target['metadata']) ? target['metadata'] : (target['metadata'] = {});
    m['labels'] = { ...r.labels };
  });
  const text = docs.map((d) => stringify(d)).join('---\n');
  return { source: { name: `${displayName} (relabelled)`, text }, docs };
}

/** Renders step objects as one YAML stream and records where each object's document lies. */
function stepSource(objects: Obj[], name: string): { source: SourceText; refs: StepObjectRef[] } {
  const refs: StepObjectRef[] = [];
  let text = '';
  let line = 1;
  for (const o of objects) {
    const body = stringify(o);
    const lines = body.split('\n').length - (body.endsWith('\n') ? 1 : 0);
    if (text !== '') {
      text += '---\n';
      line += 1;
    }
    const m = meta(o);
    const ref: StepObjectRef = { firstLine: line, lastLine: line + lines - 1 };
    if (typeof o['apiVersion'] === 'string') ref.apiVersion = o['apiVersion'];
    if (typeof o['kind'] === 'string') ref.kind = o['kind'];
    if (typeof m['namespace'] === 'string') ref.namespace = m['namespace'];
    if (typeof m['name'] === 'string') ref.name = m['name'];
    refs.push(ref);
    text += body;
    line += lines;
  }
  return { source: { name, text }, refs };
}

// ---------------------------------------------------------------------------------------------
// Checks

function parseTarget(ctx: Ctx, v: unknown, where: string): Target {
  if (typeof v === 'string') return { pod: v };
  const o = ctx.obj(v, where);
  return { ip: ctx.str(o['ip'], `${where}.ip`) };
}

function parseProbe(ctx: Ctx, o: Obj, where: string): ProbeSpec {
  const p: ProbeSpec = {
    from: ctx.str(o['from'], `${where}.from`),
    to: parseTarget(ctx, o['to'], `${where}.to`),
    protocol: ctx.protocol(o['protocol'], `${where}.protocol`),
  };
  if (p.protocol === 'ICMP') {
    if (o['port'] !== undefined) ctx.fail(`${where}.port`, 'ICMP has no port (use icmp: {type, code})');
    if (o['icmp'] !== undefined) {
      const icmp = ctx.obj(o['icmp'], `${where}.icmp`);
      const type = icmp['type'];
      const code = icmp['code'] ?? 0;
      if (typeof type !== 'number' || typeof code !== 'number') ctx.fail(`${where}.icmp`, 'needs numeric type and code');
      p.icmp = { type, code };
    }
  } else {
    p.port = ctx.port(o['port'], `${where}.port`);
  }
  if (o['sourcePort'] !== undefined) p.sourcePort = ctx.port(o['sourcePort'], `${where}.sourcePort`);
  return p;
}

function requirePod(ctx: Ctx, pods: Map<string, PodInfo>, key: string, where: string): void {
  if (!pods.has(key)) ctx.fail(where, `no Pod ${key} in force at this step`);
}

function expandMatrix(ctx: Ctx, m: Obj, where: string, pods: PodInfo[], podIndex: Map<string, PodInfo>): MatrixCheck {
  const protocol = ctx.protocol(m['protocol'], `${where}.protocol`);
  let ports: number[] = [];
  if (protocol !== 'ICMP') {
    if (!Array.isArray(m['ports']) || m['ports'].length === 0) ctx.fail(`${where}.ports`, 'must list at least one port');
    ports = (m['ports'] as unknown[]).map((p, i) => ctx.port(p, `${where}.ports[${i}]`));
  }
  const podKeys = m['pods'] === undefined ? pods.map((p) => p.key) : (m['pods'] as unknown[]);
  if (!Array.isArray(podKeys)) ctx.fail(`${where}.pods`, 'must be a list of ns/pod');
  const keys = podKeys.map((k, i) => ctx.str(k, `${where}.pods[${i}]`));
  keys.forEach((k, i) => requirePod(ctx, podIndex, k, `${where}.pods[${i}]`));
  const dflt = ctx.verdict(m['default'], `${where}.default`);
  const overrides = (m['overrides'] ?? []) as unknown[];
  if (!Array.isArray(overrides)) ctx.fail(`${where}.overrides`, 'must be a list');
  const parsedOverrides = overrides.map((ov, i) => {
    const o = ctx.obj(ov, `${where}.overrides[${i}]`);
    const from = ctx.str(o['from'], `${where}.overrides[${i}].from`);
    const to = ctx.str(o['to'], `${where}.overrides[${i}].to`);
    for (const [field, pat] of [['from', from], ['to', to]] as const) {
      try {
        patternMatches(pat, 'x/y');
      } catch (e) {
        ctx.fail(`${where}.overrides[${i}].${field}`, (e as Error).message);
      }
    }
    return { from, to, verdict: ctx.verdict(o['verdict'], `${where}.overrides[${i}].verdict`) };
  });
  const sourcePort = m['sourcePort'] === undefined ? undefined : ctx.port(m['sourcePort'], `${where}.sourcePort`);
  const cells: Cell[] = [];
  for (const port of protocol === 'ICMP' ? [undefined] : ports) {
    for (const from of keys) {
      for (const to of keys) {
        if (from === to) continue;
        let expected = dflt;
        for (const ov of parsedOverrides) if (patternMatches(ov.from, from) && patternMatches(ov.to, to)) expected = ov.verdict;
        const cell: Cell = { from, to: { pod: to }, protocol, expected };
        if (port !== undefined) cell.port = port;
        if (sourcePort !== undefined) cell.sourcePort = sourcePort;
        cells.push(cell);
      }
    }
  }
  const label = `matrix ${protocol}${ports.length ? `/${ports.join(',')}` : ''}${sourcePort !== undefined ? ` from port ${sourcePort}` : ''}`;
  const check: MatrixCheck = { kind: 'matrix', label, protocol, ports, pods: keys, cells };
  if (sourcePort !== undefined) check.sourcePort = sourcePort;
  return check;
}

function expandChecks(ctx: Ctx, raw: unknown, where: string, pods: PodInfo[]): Check[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) ctx.fail(where, 'must be a list');
  const podIndex = new Map(pods.map((p) => [p.key, p]));
  return raw.map((c, i): Check => {
    const at = `${where}[${i}]`;
    const o = ctx.obj(c, at);
    const keys = Object.keys(o);
    if (keys.length !== 1) ctx.fail(at, `a check is exactly one of matrix, flow, attribution, traffic, trace, flowrecord, snat (got ${keys.join(', ') || 'nothing'})`);
    if ('snat' in o) return parseSnatCheck(ctx.obj(o['snat'], `${at}.snat`), `${at}.snat`, new Set(podIndex.keys()), (w, m) => ctx.fail(w, m));
    if ('traffic' in o) return parseTrafficCheck(ctx.obj(o['traffic'], `${at}.traffic`), `${at}.traffic`, new Set(podIndex.keys()), (w, m) => ctx.fail(w, m));
    if ('matrix' in o) return expandMatrix(ctx, ctx.obj(o['matrix'], `${at}.matrix`), `${at}.matrix`, pods, podIndex);
    // One connection with a verdict; `flowrecord` adds the records the exporters must send for it.
    const cellOf = (key: string): { f: Obj; cell: Cell } => {
      const f = ctx.obj(o[key], `${at}.${key}`);
      const probe = parseProbe(ctx, f, `${at}.${key}`);
      requirePod(ctx, podIndex, probe.from, `${at}.${key}.from`);
      if ('pod' in probe.to) requirePod(ctx, podIndex, probe.to.pod, `${at}.${key}.to`);
      return { f, cell: { ...probe, expected: ctx.verdict(f['verdict'], `${at}.${key}.verdict`) } };
    };
    if ('flow' in o) {
      const { cell } = cellOf('flow');
      return { kind: 'flow', label: `flow ${probeLabel(cell)}`, cell };
    }
    if ('trace' in o) {
      const t = ctx.obj(o['trace'], `${at}.trace`);
      const probe = parseProbe(ctx, t, `${at}.trace`);
      requirePod(ctx, podIndex, probe.from, `${at}.trace.from`);
      if ('pod' in probe.to) requirePod(ctx, podIndex, probe.to.pod, `${at}.trace.to`);
      return parseTraceCheck(t, `${at}.trace`, probe, `trace ${probeLabel(probe)}`, (w, m) => ctx.fail(w, m));
    }
    if ('flowrecord' in o) {
      const { f, cell } = cellOf('flowrecord');
      return parseFlowRecordCheck(f, cell, `${at}.flowrecord`, (w, m) => ctx.fail(w, m));
    }
    if ('attribution' in o) {
      const a = ctx.obj(o['attribution'], `${at}.attribution`);
      const probe = parseProbe(ctx, a, `${at}.attribution`);
      requirePod(ctx, podIndex, probe.from, `${at}.attribution.from`);
      if ('pod' in probe.to) requirePod(ctx, podIndex, probe.to.pod, `${at}.attribution.to`);
      const policy = ctx.str(a['policy'], `${at}.attribution.policy`);
      if (policy !== 'none' && !/^(K8sNetworkPolicy|AntreaNetworkPolicy)\/[^/]+\/[^/]+$|^AntreaClusterNetworkPolicy\/[^/]+$/.test(policy)) {
        ctx.fail(`${at}.attribution.policy`, `"${policy}" is not none, K8sNetworkPolicy/NS/NAME, AntreaNetworkPolicy/NS/NAME or AntreaClusterNetworkPolicy/NAME`);
      }
      const check: AttributionCheck = { kind: 'attribution', label: `attribution ${probeLabel(probe)}`, probe, policy };
      if (a['rule'] !== undefined) check.rule = ctx.str(a['rule'], `${at}.attribution.rule`);
      if (a['action'] !== undefined) check.action = ctx.str(a['action'], `${at}.attribution.action`);
      return check;
    }
    return ctx.fail(at, `unknown check ${keys[0] ?? ''}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Files

/** The fixture file for `name`: in the nearest `fixtures/` folder at or above `caseDir` that holds it. */
export function findFixture(caseDir: string, name: string): string | undefined {
  let dir = resolve(caseDir);
  for (;;) {
    for (const ext of ['.yaml', '.yml']) {
      const candidate = join(dir, 'fixtures', `${name}${ext}`);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Parses and expands one case file; throws CaseError when it is malformed. */
export function loadCase(file: string, opts: { root?: string } = {}): Case {
  const display = opts.root ? relative(opts.root, file) || basename(file) : file;
  const ctx: Ctx = new Ctx(display);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    ctx.fail('file', `YAML error: ${(e as Error).message}`);
  }
  const top = ctx.obj(doc, 'case');
  const id = ctx.str(top['id'], 'id');
  const fixtureName = ctx.str(top['fixture'], 'fixture');
  const fixtureFile = findFixture(dirname(file), fixtureName);
  if (!fixtureFile) ctx.fail('fixture', `no fixtures/${fixtureName}.yaml at or above ${dirname(display)}`);
  const fx = readFixture(fixtureFile);
  const fixtureDisplay = opts.root ? relative(opts.root, fixtureFile) : fixtureFile;
  if (!Array.isArray(top['steps']) || top['steps'].length === 0) ctx.fail('steps', 'must be a non-empty list');

  const steps = (top['steps'] as unknown[]).map((s, i): Step => {
    const where = `steps[${i}]`;
    const so = ctx.obj(s, where);
    const objects = (so['objects'] ?? []) as unknown[];
    if (!Array.isArray(objects)) ctx.fail(`${where}.objects`, 'must be a list of objects');
    objects.forEach((o, j) => ctx.obj(o, `${where}.objects[${j}]`));
    const relabelRaw = (so['relabel'] ?? []) as unknown[];
    if (!Array.isArray(relabelRaw)) ctx.fail(`${where}.relabel`, 'must be a list');
    const relabel = relabelRaw.map((r, j): Relabel => {
      const ro = ctx.obj(r, `${where}.relabel[${j}]`);
      const labels = ctx.labels(ro['labels'], `${where}.relabel[${j}].labels`);
      if ((ro['pod'] === undefined) === (ro['namespace'] === undefined)) ctx.fail(`${where}.relabel[${j}]`, 'needs exactly one of pod, namespace');
      return ro['pod'] !== undefined ? { pod: ctx.str(ro['pod'], `${where}.relabel[${j}].pod`), labels } : { namespace: ctx.str(ro['namespace'], `${where}.relabel[${j}].namespace`), labels };
    });
    const fixture = relabelledFixture(ctx, fx, relabel, where, fixtureDisplay);
    const sources: SourceText[] = [fixture.source];
    const step: Step = { number: i + 1, objects: objects as Obj[], relabel, sources, stepObjects: [], pods: [], nodes: [], checks: [] };
    if (objects.length) {
      const name = `${display}#step${i + 1}`;
      const { source, refs } = stepSource(objects as Obj[], name);
      sources.push(source);
      step.stepSourceName = name;
      step.stepObjects = refs;
    }
    step.pods = [...fixture.docs.filter((d) => isKind(d, 'Pod')).map((d) => podInfo(d, false)), ...(objects as Obj[]).filter((d) => isKind(d, 'Pod')).map((d) => podInfo(d, true))];
    const seen = new Set<string>();
    for (const p of step.pods) {
      if (seen.has(p.key)) ctx.fail(where, `Pod ${p.key} is defined twice`);
      seen.add(p.key);
    }
    step.nodes = [...fx.docs, ...(objects as Obj[])].filter((d) => isKind(d, 'Node')).map(nodeInfo);
    if (so['invalid'] !== undefined) {
      const inv = ctx.obj(so['invalid'], `${where}.invalid`);
      const spec: InvalidSpec = { kind: ctx.str(inv['kind'], `${where}.invalid.kind`), name: ctx.str(inv['name'], `${where}.invalid.name`) };
      if (inv['namespace'] !== undefined) spec.namespace = ctx.str(inv['namespace'], `${where}.invalid.namespace`);
      if (inv['apiVersion'] !== undefined) spec.apiVersion = ctx.str(inv['apiVersion'], `${where}.invalid.apiVersion`);
      step.invalid = spec;
    }
    step.checks = expandChecks(ctx, so['checks'], `${where}.checks`, step.pods);
    return step;
  });

  const c: Case = { id, file, fixture: { name: fixtureName, file: fixtureFile }, steps };
  if (isObj(top['source'])) c.source = top['source'];
  if (typeof top['notes'] === 'string') c.notes = top['notes'];
  return c;
}

/** Every case file under `dir` (recursively; `fixtures/` folders and non-YAML files are skipped), sorted. */
export function findCaseFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) {
        if (entry !== 'fixtures' && !entry.startsWith('.')) walk(path);
      } else if (/\.ya?ml$/.test(entry)) {
        out.push(path);
      }
    }
  };
  if (statSync(dir).isFile()) return [resolve(dir)];
  walk(resolve(dir));
  return out;
}

export interface LoadResult {
  cases: Case[];
  /** Files that could not be read as cases, with the reason; each counts as a failed case. */
  errors: { file: string; id?: string; message: string }[];
}

/** Loads every case below `dir` (or the one file `dir`); `only` keeps the cases with these ids. */
export function loadCases(dir: string, opts: { only?: readonly string[] } = {}): LoadResult {
  const root = statSync(dir).isFile() ? dirname(resolve(dir)) : resolve(dir);
  const result: LoadResult = { cases: [], errors: [] };
  for (const file of findCaseFiles(dir)) {
    try {
      const c = loadCase(file, { root });
      if (!opts.only || opts.only.length === 0 || opts.only.includes(c.id)) result.cases.push(c);
    } catch (e) {
      // A case the filter would skip anyway does not count, if its id can still be read.
      let id: string | undefined;
      try {
        const raw: unknown = parse(readFileSync(file, 'utf8'));
        if (isObj(raw) && typeof raw['id'] === 'string') id = raw['id'];
      } catch {
        // unreadable: keep it as an error
      }
      if (opts.only && opts.only.length > 0 && (id === undefined || !opts.only.includes(id))) continue;
      const entry: LoadResult['errors'][number] = { file: relative(root, file), message: e instanceof CaseError ? e.message : String(e) };
      if (id !== undefined) entry.id = id;
      result.errors.push(entry);
    }
  }
  const ids = new Map<string, string>();
  for (const c of result.cases) {
    const prev = ids.get(c.id);
    if (prev) result.errors.push({ file: relative(root, c.file), id: c.id, message: `duplicate case id ${c.id} (also in ${relative(root, prev)})` });
    ids.set(c.id, c.file);
  }
  return result;
}

/** The repository's own conformance cases: what `make test` and `make conformance` run. */
export const CONFORMANCE_DIR = join(REPO_ROOT, 'conformance');

/** The case folders (suites) under `dir`, sorted: every folder but `fixtures/`. */
export function suitesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name !== 'fixtures' && !name.startsWith('.') && statSync(join(dir, name)).isDirectory())
    .sort();
}

/**
 * Where the upstream copy of the cases may sit: the `shared` folder beside the repository (or DPC_SHARED_DIR).
 * Only the sync check looks there; a clone without it runs every case from CONFORMANCE_DIR.
 */
export function sharedDir(): string {
  return process.env.DPC_SHARED_DIR ? resolve(process.env.DPC_SHARED_DIR) : resolve(REPO_ROOT, '..', 'shared');
}
