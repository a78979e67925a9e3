/**
 * The few fields of a flow line the connectivity diff reads to decide which packets a line can touch, and the
 * port boundaries the policies create. Reads OVS's canonical spelling (flows.txt is exactly what
 * `ovs-ofctl dump-flows` prints); anything else in a line only narrows what it matches, so ignoring it keeps the
 * answer an over-approximation: more pairs traced, never fewer.
 */
import type { PortProtocol } from './connset.js';
import { flowCookie } from './origins.js';

export interface FlowFields {
  readonly category?: number;
  readonly ruleId?: number;
  readonly nwSrc?: string;
  readonly nwDst?: string;
  readonly inPort?: number;
  /** reg1: the target ofport (Antrea's TargetOFPortField) once L2 forwarding chose it. */
  readonly reg1?: number;
  readonly conjId?: number;
  readonly protocol?: PortProtocol | 'ICMP';
  /** Inclusive destination port range of tp_dst (a value/mask becomes the block it covers). */
  readonly tpDst?: readonly [number, number];
  /** conjunction(K,i/n) actions. */
  readonly conjunctions: readonly { id: number; clause: number }[];
}

const PROTO: Record<string, PortProtocol | 'ICMP'> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP', icmp: 'ICMP', tcp6: 'TCP', udp6: 'UDP', sctp6: 'SCTP', icmp6: 'ICMP' };

const num = (v: string): number => (v.startsWith('0x') ? parseInt(v, 16) : Number(v));

/** A value/mask port match as the range it covers (OVS emits prefix masks for port ranges). */
export function maskedRange(value: number, mask: number): [number, number] {
  const free = ~mask & 0xffff;
  return [value & mask, (value & mask) | free];
}

export function parseFlow(line: string): FlowFields {
  const cookie = flowCookie(line);
  const actionsAt = line.indexOf(' actions=');
  const head = actionsAt < 0 ? line : line.slice(0, actionsAt);
  const actions = actionsAt < 0 ? '' : line.slice(actionsAt + 9);
  const conjunctions: { id: number; clause: number }[] = [];
  const f: { -readonly [K in keyof FlowFields]: FlowFields[K] } = { conjunctions, ...(cookie ? { category: cookie.category, ruleId: cookie.ruleId } : {}) };
  const match = head.replace(/^.*?priority=\d+,?/, '');
  for (const tok of match.split(',')) {
    const eq = tok.indexOf('=');
    if (eq < 0) {
      if (PROTO[tok]) f.protocol = PROTO[tok];
      continue;
    }
    const k = tok.slice(0, eq);
    const v = tok.slice(eq + 1);
    if (k === 'nw_src') f.nwSrc = v;
    else if (k === 'nw_dst') f.nwDst = v;
    else if (k === 'in_port') f.inPort = num(v);
    else if (k === 'reg1' && !v.includes('/')) f.reg1 = num(v);
    else if (k === 'conj_id') f.conjId = num(v);
    else if (k === 'tp_dst') {
      const [a, m] = v.split('/');
      f.tpDst = m === undefined ? [num(a!), num(a!)] : maskedRange(num(a!), num(m));
    }
  }
  for (const m of actions.matchAll(/conjunction\((\d+),(\d+)\/\d+\)/g)) conjunctions.push({ id: Number(m[1]), clause: Number(m[2]) });
  return f;
}

/** Port boundaries per protocol: every range start and every range end + 1 in NetworkPolicy flows. */
export function addPortBoundaries(flowsText: string, into: Map<PortProtocol, Set<number>>): void {
  let at = flowsText.indexOf('tp_dst=');
  while (at >= 0) {
    const start = flowsText.lastIndexOf('\n', at) + 1;
    const endNl = flowsText.indexOf('\n', at);
    const line = flowsText.slice(start, endNl < 0 ? undefined : endNl);
    const f = parseFlow(line);
    if (f.category === 2 && f.tpDst && f.protocol && f.protocol !== 'ICMP') {
      let set = into.get(f.protocol);
      if (!set) into.set(f.protocol, (set = new Set()));
      set.add(f.tpDst[0]).add(f.tpDst[1] + 1);
    }
    at = endNl < 0 ? -1 : flowsText.indexOf('tp_dst=', endNl);
  }
}

/** The same for iptables rules (`--dport N`, `--dport A:B`, `--dports A,B:C`) of host policies. */
export function addIptablesBoundaries(rulesText: string, into: Map<PortProtocol, Set<number>>): void {
  for (const line of rulesText.split('\n')) {
    const proto = /-p (tcp|udp|sctp)\b/.exec(line)?.[1];
    const ports = /--dports? (\S+)/.exec(line)?.[1];
    if (!proto || !ports) continue;
    const p = PROTO[proto] as PortProtocol;
    let set = into.get(p);
    if (!set) into.set(p, (set = new Set()));
    for (const part of ports.split(',')) {
      const [a, b] = part.split(':').map(Number);
      set.add(a!).add((b ?? a!) + 1);
    }
  }
}
