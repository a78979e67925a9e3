// Check kind `flowrecord` (conformance/README.md): the runner runs one `dpc agent` per Node (runtime/agent, the
// same code the command runs) against a collector on loopback, opens the check's connection, and reads the IPFIX
// records each Node's exporter sent for it. Fields are found through the template the same connection carried, by
// (enterprise, element ID) from the README's table, not from dpc's encoder; the IANA 5-tuple of every record
// used is also decoded by tshark, so a record dpc's own decoder reads wrongly cannot pass.
//
// Ports: every case asks for the collector on 4739, which clashes when runners (or suites) run side by side, so
// each Node's agent is pointed at its own free loopback port (AgentOptions.collector); a record then belongs to the
// Node whose connection carried it, and the observation domain must also be that Node's FNV-1 hash.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from '../../runtime/agent/agent.js';
import { fieldValue, IpfixSession, type DecodedRecord } from '../../runtime/ipfix/message.js';
import { observationDomain } from '../../runtime/ipfix/process.js';
import type { ElementType } from '../../runtime/ipfix/elements.js';
import type { NodeBundle } from '../../targets/bundle/bundle.js';
import { encodePcap, frame, parseFrame } from '../harness/packets.js';
import { probeLabel, type Cell } from './cases.js';
import { PcapCursor, type Cluster } from './cluster.js';
import type { Prober, ProbeOutcome } from './probe.js';

const run = promisify(execFile);

export interface FlowRecordCheck {
  kind: 'flowrecord';
  label: string;
  cell: Cell;
  records: { node: string; fields: Record<string, string | number> }[];
}

const IANA = 0;
const ANTREA = 56506;

/** The README's table: field name → (enterprise, element ID, type). */
export const FIELDS: Readonly<Record<string, { enterprise: number; id: number; type: ElementType }>> = {
  sourcePodNamespace: { enterprise: ANTREA, id: 100, type: 'string' },
  sourcePodName: { enterprise: ANTREA, id: 101, type: 'string' },
  destinationPodNamespace: { enterprise: ANTREA, id: 102, type: 'string' },
  destinationPodName: { enterprise: ANTREA, id: 103, type: 'string' },
  sourceNodeName: { enterprise: ANTREA, id: 104, type: 'string' },
  destinationNodeName: { enterprise: ANTREA, id: 105, type: 'string' },
  destinationServicePort: { enterprise: ANTREA, id: 108, type: 'unsigned16' },
  destinationServicePortName: { enterprise: ANTREA, id: 109, type: 'string' },
  ingressNetworkPolicyName: { enterprise: ANTREA, id: 110, type: 'string' },
  ingressNetworkPolicyNamespace: { enterprise: ANTREA, id: 111, type: 'string' },
  ingressNetworkPolicyType: { enterprise: ANTREA, id: 115, type: 'unsigned8' },
  ingressNetworkPolicyRuleName: { enterprise: ANTREA, id: 141, type: 'string' },
  ingressNetworkPolicyRuleAction: { enterprise: ANTREA, id: 139, type: 'unsigned8' },
  egressNetworkPolicyName: { enterprise: ANTREA, id: 112, type: 'string' },
  egressNetworkPolicyNamespace: { enterprise: ANTREA, id: 113, type: 'string' },
  egressNetworkPolicyType: { enterprise: ANTREA, id: 118, type: 'unsigned8' },
  egressNetworkPolicyRuleName: { enterprise: ANTREA, id: 142, type: 'string' },
  egressNetworkPolicyRuleAction: { enterprise: ANTREA, id: 140, type: 'unsigned8' },
  flowType: { enterprise: ANTREA, id: 137, type: 'unsigned8' },
  egressName: { enterprise: ANTREA, id: 153, type: 'string' },
  egressIP: { enterprise: ANTREA, id: 154, type: 'string' },
  egressNodeName: { enterprise: ANTREA, id: 157, type: 'string' },
  sourceIPv4Address: { enterprise: IANA, id: 8, type: 'ipv4Address' },
  destinationIPv4Address: { enterprise: IANA, id: 12, type: 'ipv4Address' },
  sourceTransportPort: { enterprise: IANA, id: 7, type: 'unsigned16' },
  destinationTransportPort: { enterprise: IANA, id: 11, type: 'unsigned16' },
  protocolIdentifier: { enterprise: IANA, id: 4, type: 'unsigned8' },
};

const PROTOCOL_NUMBER = { TCP: 6, UDP: 17, SCTP: 132 } as const;

/** Parses the `flowrecord:` mapping after its probe part (from, to, protocol, port, verdict) is parsed as `flow`. */
export function parseFlowRecordCheck(o: Record<string, unknown>, cell: Cell, where: string, fail: (where: string, message: string) => never): FlowRecordCheck {
  if (!(cell.protocol in PROTOCOL_NUMBER)) fail(`${where}.protocol`, 'must be TCP, UDP or SCTP');
  const raw = o['records'];
  if (!Array.isArray(raw) || raw.length === 0) fail(`${where}.records`, 'must list at least one Node');
  const records = raw.map((r: unknown, i) => {
    const at = `${where}.records[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) fail(at, 'must be a mapping');
    const e = r as Record<string, unknown>;
    if (typeof e['node'] !== 'string' || e['node'] === '') fail(`${at}.node`, 'must be a Node name');
    const f = e['fields'] ?? {};
    if (typeof f !== 'object' || f === null || Array.isArray(f)) fail(`${at}.fields`, 'must be a mapping');
    const fields: Record<string, string | number> = {};
    for (const [name, v] of Object.entries(f as Record<string, unknown>)) {
      const spec = FIELDS[name];
      if (!spec) fail(`${at}.fields.${name}`, 'is not a field of the flowrecord table');
      const isString = spec.type === 'string' || spec.type === 'ipv4Address';
      if (isString ? typeof v !== 'string' : typeof v !== 'number' || !Number.isInteger(v)) fail(`${at}.fields.${name}`, `must be ${isString ? 'a string' : 'an integer'}`);
      fields[name] = v as string | number;
    }
    return { node: e['node'] as string, fields };
  });
  return { kind: 'flowrecord', label: `flowrecord ${probeLabel(cell)}`, cell, records };
}

interface Connection {
  /** Decodes as bytes arrive, to know when to stop waiting. */
  session: IpfixSession;
  /** Every byte received, decoded again from one snapshot by both decoders. */
  chunks: Buffer[];
}

/** One Node's side: its agent and the loopback listener only it sends to. */
interface NodeSide {
  agent: Agent;
  server: Server;
  sockets: Socket[];
  connections: Connection[];
  dir: string;
}

export interface FlowRecordResult {
  ok: boolean;
  /** Whether the packets alone decided as the check says (a trace helps only when they did not). */
  verdictOk: boolean;
  outcome: ProbeOutcome;
  lines: string[];
}

/** The agents and collector of one case; started at the first step that compiles, stopped with the case. */
export class FlowRecords {
  private readonly nodes = new Map<string, NodeSide>();
  private readonly root = mkdtempSync(join(tmpdir(), 'dpc-flowrecord-'));
  private waitMs = 8000;
  readonly log: string[] = [];

  /** Writes each Node's bundle where its agent reads it, and starts or reloads the agents. */
  async sync(cluster: Cluster, bundles: readonly NodeBundle[]): Promise<void> {
    for (const b of bundles) {
      const dir = join(this.root, b.node);
      for (const [path, text] of b.files) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const exporter = b.files.get('visibility/exporter.json');
      if (exporter) {
        const s = JSON.parse(exporter) as { pollIntervalMs: number; activeFlowExportTimeoutMs: number };
        this.waitMs = s.pollIntervalMs + s.activeFlowExportTimeoutMs + 5000;
      }
      const node = cluster.nodes.get(b.node);
      if (!node) continue;
      const have = this.nodes.get(b.node);
      if (have) {
        await have.agent.reload();
        continue;
      }
      const side: Omit<NodeSide, 'agent'> = { server: createServer(), sockets: [], connections: [], dir };
      side.server.on('connection', (sock) => {
        const c: Connection = { session: new IpfixSession(), chunks: [] };
        side.connections.push(c);
        side.sockets.push(sock);
        sock.on('data', (d: Buffer) => {
          c.chunks.push(d);
          c.session.push(d);
        });
        sock.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => side.server.listen(0, '127.0.0.1', resolve));
      const port = (side.server.address() as AddressInfo).port;
      // The runner has loaded the bundle into the switch itself (cluster.ts), so the agent does not apply it.
      const agent = new Agent(dir, {
        node: b.node,
        db: `unix:${join(node.ovs.dir, 'db.sock')}`,
        format: 'text',
        apply: false,
        collector: { host: '127.0.0.1', port },
        log: (l) => this.log.push(`${b.node}: ${l}`),
      });
      this.nodes.set(b.node, { ...side, agent });
      await agent.start();
    }
  }

  /** What each Node has sent so far, one buffer per collector connection: both decoders read the same bytes. */
  private snapshot(): Map<string, Buffer[]> {
    return new Map([...this.nodes].map(([node, side]) => [node, side.connections.map((c) => Buffer.concat(c.chunks))]));
  }

  /** The records of the connection in a Node's streams, each decoded through the templates of its own stream. */
  private static recordsIn(streams: readonly Buffer[], tuple: Tuple): DecodedRecord[] {
    return streams.flatMap((b) => new IpfixSession().push(b).filter((r) => matches(r, tuple)));
  }

  async run(check: FlowRecordCheck, prober: Prober, cluster: Cluster, srcPort: number): Promise<FlowRecordResult> {
    await cluster.flushConntrack();
    const [outcome] = await prober.run([{ spec: check.cell, srcPort }]);
    const o = outcome!;
    const lines: string[] = [];
    let ok = true;
    const verdictOk = check.cell.expected === 'deny' ? o.actual === 'drop' || o.actual === 'reject' : o.actual === check.cell.expected;
    if (!verdictOk) {
      ok = false;
      lines.push(`!! verdict: expected ${check.cell.expected}, got ${o.actual}: ${o.summary}`);
    }
    const { src, dst } = prober.addresses(check.cell);
    if (o.actual === 'reject') {
      const answer = await rejectAnswer(cluster, check.cell.from, { src, dst, sport: srcPort, dport: check.cell.port! });
      const at = o.packetIns.find((p) => p.reject)?.node;
      const senderNode = [...cluster.nodes.values()].find((n) => n.pod(check.cell.from))?.name;
      if (answer) lines.push(`the agent's answer arrived at the source Pod's port: ${answer}`);
      else if (at !== senderNode) {
        // The agent does not answer yet when the sender is on another Node (docs/design.md §6): shown, not hidden.
        lines.push(`no answer at ${check.cell.from}'s port: rejected on ${at}, the sender is on ${senderNode} (not answered by dpc agent yet)`);
      } else {
        ok = false;
        lines.push(`!! rejected, but no TCP reset or ICMP unreachable arrived at ${check.cell.from}'s port within ${ANSWER_MS} ms`);
      }
    }
    const tuple: Tuple = { src, dst, sport: srcPort, dport: check.cell.port!, protocol: PROTOCOL_NUMBER[check.cell.protocol as keyof typeof PROTOCOL_NUMBER] };
    const deadline = Date.now() + this.waitMs;
    const has = (r: { node: string }) => this.nodes.get(r.node)?.connections.some((c) => c.session.records.some((x) => matches(x, tuple)));
    while (Date.now() < deadline && !check.records.every(has)) await new Promise((r) => setTimeout(r, 200));
    const sent = this.snapshot();

    const wanted = new Map<string, number>();
    for (const want of check.records) {
      const got = FlowRecords.recordsIn(sent.get(want.node) ?? [], tuple);
      wanted.set(want.node, got.length);
      if (!got.length) {
        ok = false;
        lines.push(`!! ${want.node}: no record of ${tupleText(tuple)} within ${this.waitMs} ms (${this.nodes.get(want.node)?.connections.length ?? 0} collector connections from it)`);
        continue;
      }
      for (const record of got) {
        if (record.domain !== observationDomain(want.node)) {
          ok = false;
          lines.push(`!! ${want.node}: observation domain ${record.domain}, not the Node name's FNV-1 hash ${observationDomain(want.node)}`);
        }
        for (const [name, expected] of Object.entries(want.fields)) {
          const spec = FIELDS[name]!;
          const v = fieldValue(record, spec.enterprise, spec.id, spec.type);
          const actual = typeof v === 'bigint' ? Number(v) : v;
          if (actual !== expected) {
            ok = false;
            lines.push(`!! ${want.node}: ${name} is ${actual === undefined ? 'absent from the template' : JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
          }
        }
      }
    }
    // The same records through a real decoder: tshark must find as many data records with this 5-tuple.
    const seen = await this.tsharkCount(sent, [...wanted.keys()], tuple);
    for (const [node, n] of wanted) {
      const t = seen.get(node) ?? 0;
      if (t !== n) ok = false;
      lines.push(`${t !== n ? '!! ' : ''}${node}: ${n} record(s) of ${tupleText(tuple)}; tshark decodes ${t}`);
    }
    return { ok, verdictOk, outcome: o, lines };
  }

  /** Data records with the 5-tuple, per Node, as tshark decodes every message each Node sent (one UDP datagram each). */
  private async tsharkCount(sent: Map<string, Buffer[]>, nodes: string[], tuple: Tuple): Promise<Map<string, number>> {
    const frames: Buffer[] = [];
    const byPort = new Map<number, string>();
    nodes.forEach((node, i) => {
      const sport = 50000 + i;
      byPort.set(sport, node);
      for (const stream of sent.get(node) ?? []) {
        for (const m of messages(stream)) {
          frames.push(frame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '127.0.0.2', dstIp: '127.0.0.1', proto: 'udp', srcPort: sport, dstPort: 4739, payload: m }));
        }
      }
    });
    const out = new Map<string, number>();
    if (!frames.length) return out;
    const file = join(this.root, 'records.pcap');
    writeFileSync(file, encodePcap(frames));
    const fields = ['udp.srcport', 'cflow.srcaddr', 'cflow.dstaddr', 'cflow.srcport', 'cflow.dstport', 'cflow.protocol'];
    const { stdout } = await run('tshark', ['-r', file, '-d', 'udp.port==4739,cflow', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=;', ...fields.flatMap((f) => ['-e', f])], { maxBuffer: 64 * 1024 * 1024 });
    for (const line of stdout.split('\n')) {
      const [udpPort, ...cols] = line.split('\t');
      const node = byPort.get(Number(udpPort));
      if (!node || cols.length < 5) continue;
      const [srcs, dsts, sports, dports, protos] = cols.map((c) => c.split(';'));
      for (let i = 0; i < srcs!.length; i++) {
        if (srcs![i] === tuple.src && dsts![i] === tuple.dst && Number(sports![i]) === tuple.sport && Number(dports![i]) === tuple.dport && Number(protos![i]) === tuple.protocol) {
          out.set(node, (out.get(node) ?? 0) + 1);
        }
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const side of this.nodes.values()) {
      await side.agent.stop();
      for (const s of side.sockets) s.destroy();
      await new Promise<void>((resolve) => side.server.close(() => resolve()));
    }
    this.nodes.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}

const ANSWER_MS = 2000;

/**
 * The answer the source Pod's stack would get for a rejected connection: a TCP reset from the destination, or an
 * ICMP destination unreachable quoting the sent packet, transmitted on the Pod's own port (the agent's packet-out).
 */
async function rejectAnswer(cluster: Cluster, from: string, t: Omit<Tuple, 'protocol'>): Promise<string | undefined> {
  const node = [...cluster.nodes.values()].find((n) => n.pod(from));
  const port = node?.pod(from)?.interface;
  if (!node || !port) return undefined;
  // A cursor of our own from the file's start: the prober may already have read the answer off the node's cursor.
  const cursor = new PcapCursor(node.pcapPath(port));
  const deadline = Date.now() + ANSWER_MS;
  for (;;) {
    for (const bytes of cursor.read().frames) {
      const p = parseFrame(bytes);
      if (p.tcp && p.ipv4?.src === t.dst && p.ipv4.dst === t.src && p.tcp.srcPort === t.dport && p.tcp.dstPort === t.sport && p.tcp.flags.includes('R')) return `TCP ${p.tcp.flags} from ${t.dst}:${t.dport}`;
      if (p.icmp?.type === 3 && p.ipv4?.dst === t.src) {
        const quoted = p.icmp.payload;
        const qsrc = quoted.length >= 20 ? [...quoted.subarray(12, 16)].join('.') : '';
        const qdst = quoted.length >= 20 ? [...quoted.subarray(16, 20)].join('.') : '';
        const ihl = ((quoted[0] ?? 0) & 0x0f) * 4;
        if (qsrc === t.src && qdst === t.dst && quoted.length >= ihl + 4 && quoted.readUInt16BE(ihl) === t.sport) return `ICMP unreachable code ${p.icmp.code} from ${p.ipv4.src}`;
      }
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Tuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  protocol: number;
}

const tupleText = (t: Tuple): string => `${t.src}:${t.sport} -> ${t.dst}:${t.dport} proto ${t.protocol}`;

function matches(r: DecodedRecord, t: Tuple): boolean {
  return (
    fieldValue(r, IANA, 8, 'ipv4Address') === t.src &&
    fieldValue(r, IANA, 12, 'ipv4Address') === t.dst &&
    fieldValue(r, IANA, 7, 'unsigned16') === t.sport &&
    fieldValue(r, IANA, 11, 'unsigned16') === t.dport &&
    fieldValue(r, IANA, 4, 'unsigned8') === t.protocol
  );
}

/** IPFIX messages of a TCP stream, by the length in each header. */
function messages(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 16 <= stream.length; ) {
    const len = stream.readUInt16BE(at + 2);
    if (len < 16 || at + len > stream.length) break;
    out.push(stream.subarray(at, at + len));
    at += len;
  }
  return out;
}
