/**
 * Compares review/openflow's interpreter with Open vSwitch's own `ofproto/trace` on a loaded bundle: the same
 * packet (one flow string feeds both), the same conntrack answers (the interpreter's ct states become --ct-next),
 * then the ports the packet leaves on, the packet-ins, and the registers at the end of the last pass.
 */
import { Conntrack, Interpreter, Packet, type Pipeline } from '../../review/openflow/interp.js';
import { parseMatch } from '../../review/openflow/parse.js';
import type { Ovs } from '../harness/ovs.js';
import type { BundleMeta } from '../../review/explain/bundles.js';

export interface Observed {
  outputs: number[];
  controllers: number;
  registers: Record<string, string>;
}

const CT_NAMES = ['new', 'est', 'rel', 'rpl', 'inv', 'trk', 'snat', 'dnat'];
const ctFlags = (state: bigint): string => CT_NAMES.filter((_, i) => (state >> BigInt(i)) & 1n).join(',');

export function interpret(pipeline: Pipeline, flow: string): Observed & { ctNext: string[] } {
  const p = new Packet(parseMatch(flow).map((m) => [m.field, m.value] as [string, bigint]));
  const run = new Interpreter(pipeline, new Conntrack()).run(p);
  const registers: Record<string, string> = {};
  for (let i = 0; i < 16; i++) {
    const v = run.packet.get(`reg${i}`);
    if (v !== 0n) registers[`reg${i}`] = `0x${v.toString(16)}`;
  }
  return {
    outputs: run.emissions.flatMap((e) => (e.kind === 'output' ? [e.port] : [])).sort((a, b) => a - b),
    controllers: run.emissions.filter((e) => e.kind === 'controller').length,
    registers,
    ctNext: run.ctStates.map(ctFlags),
  };
}

/** What `ofproto/trace` says: the OpenFlow output ports (not datapath actions), packet-ins, final registers. */
export function parseOvsTrace(text: string): Observed {
  const outputs: number[] = [];
  let controllers = 0;
  let lastFlowIn = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const table = /^\d+\.\s.*in_port=(\d+)/.exec(line);
    if (table) lastFlowIn = Number(table[1]);
    let m = /^-> output port is (\d+)/.exec(line);
    if (m) outputs.push(Number(m[1]));
    m = /^output:(\d+)$/.exec(line);
    if (m) outputs.push(Number(m[1]));
    if (line === 'IN_PORT') outputs.push(lastFlowIn);
    if (/^controller\(/.test(line)) controllers++;
  }
  // The last pass's final flow; OVS prints "unchanged" when that pass changed nothing, and then its Flow: holds it.
  const sections = [...text.matchAll(/^(Flow|Final flow): (.*)$/gm)];
  let last = '';
  for (const m of sections) if (m[2] !== 'unchanged') last = m[2]!;
  const registers: Record<string, string> = {};
  for (const m of last.matchAll(/(?:^|,)(reg\d+)=(0x[0-9a-f]+)/g)) if (BigInt(m[2]!) !== 0n) registers[m[1]!] = `0x${BigInt(m[2]!).toString(16)}`;
  return { outputs: outputs.sort((a, b) => a - b), controllers, registers };
}

export function ovsObserve(ovs: Ovs, flow: string, ctNext: string[]): Observed {
  return parseOvsTrace(ovs.trace(flow, ctNext));
}

// ---------------------------------------------------------------------------------------------
// Random packets

/** A small seeded generator (mulberry32), so that a failing packet is reproducible from the seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/**
 * A packet as `ofproto/trace` takes it, drawn from what the cluster holds: its Pods, gateways, Nodes and some
 * outside addresses, entering on a Pod port, the gateway or the tunnel, sometimes spoofed, sometimes ARP.
 */
export function randomFlow(r: () => number, meta: BundleMeta, cluster: readonly BundleMeta[]): string {
  const inv = meta.inventory;
  const allPods = cluster.flatMap((m) => m.inventory.pods);
  const addresses = [...allPods.map((p) => p.ip), ...cluster.flatMap((m) => [m.node.gatewayIP, m.node.internalIP]), '8.8.8.8', '1.1.1.1', '198.51.100.7', '10.96.0.10', '172.20.10.5', `10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`];
  const randomMac = () => Array.from({ length: 6 }, (_, i) => (i === 0 ? 2 : Math.floor(r() * 256)).toString(16).padStart(2, '0')).join(':');
  const where = r();
  const parts: string[] = [];
  let srcMac: string;
  let srcIP: string;
  if (where < 0.65 && inv.pods.length) {
    const pod = pick(r, inv.pods);
    parts.push(`in_port=${pod.ofport}`);
    srcMac = r() < 0.9 ? pod.mac : randomMac();
    srcIP = r() < 0.9 ? pod.ip : pick(r, addresses);
  } else if (where < 0.85 || !inv.tunnel) {
    parts.push(`in_port=${inv.gateway.ofport}`);
    srcMac = inv.gateway.mac;
    srcIP = r() < 0.5 ? meta.node.gatewayIP : pick(r, addresses);
  } else {
    parts.push(`in_port=${inv.tunnel.ofport}`);
    const peer = pick(r, cluster.filter((m) => m !== meta).concat([meta]));
    parts.push(`tun_src=${peer.node.internalIP}`, `tun_dst=${meta.node.internalIP}`);
    srcMac = r() < 0.5 ? peer.inventory.gateway.mac : randomMac();
    const peerPods = peer.inventory.pods;
    srcIP = r() < 0.8 && peerPods.length ? pick(r, peerPods).ip : pick(r, addresses);
  }
  const dstIP = pick(r, addresses);
  const local = inv.pods.find((p) => p.ip === dstIP);
  const dstMac = pick(r, [inv.gateway.mac, 'aa:bb:cc:dd:ee:ff', local?.mac ?? inv.gateway.mac, randomMac()]);
  if (r() < 0.08) {
    parts.unshift('arp');
    parts.push(`dl_src=${srcMac}`, 'dl_dst=ff:ff:ff:ff:ff:ff', `arp_spa=${srcIP}`, `arp_sha=${srcMac}`, `arp_tpa=${dstIP}`, 'arp_op=1');
    return parts.join(',');
  }
  const proto = pick(r, ['tcp', 'tcp', 'udp', 'icmp', 'sctp']);
  parts.unshift(proto);
  parts.push(`dl_src=${srcMac}`, `dl_dst=${dstMac}`, `nw_src=${srcIP}`, `nw_dst=${dstIP}`, `nw_ttl=${r() < 0.05 ? 1 : 64}`);
  if (proto === 'icmp') parts.push(`icmp_type=${pick(r, [8, 0, 3, 8])}`, `icmp_code=0`);
  else parts.push(`${proto}_src=${1024 + Math.floor(r() * 60000)}`, `${proto}_dst=${pick(r, [80, 443, 53, 8080, 22, 5000, 6379, 10250, Math.floor(r() * 65535)])}`);
  if (r() < 0.1) parts.push(`pkt_mark=${pick(r, ['0x2e', '0x5c', '0xc9', '0x80000000', '0x1'])}`);
  return parts.join(',');
}
