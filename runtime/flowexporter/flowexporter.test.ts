import { describe, expect, test } from 'vitest';
import { parseConntrackDump, parseConntrackLine } from './conntrack.js';
import { FlowType, Naming, RuleAction, type ExporterSettings, type RuleEntry } from './naming.js';
import { recordValues } from './record.js';
import { ConntrackStore, DenyStore, type StoreConfig } from './store.js';

const SETTINGS: ExporterSettings = {
  node: 'node-1',
  enabled: true,
  collector: { host: '127.0.0.1', port: 4739, transport: 'tcp' },
  pollIntervalMs: 1000,
  activeFlowExportTimeoutMs: 2000,
  idleFlowExportTimeoutMs: 1000,
  staleConnectionTimeoutMs: 300_000,
  protocols: ['tcp', 'udp', 'sctp'],
  podSubnets: [
    { node: 'node-1', cidr: '10.10.1.0/24', gateway: '10.10.1.1' },
    { node: 'node-2', cidr: '10.10.2.0/24', gateway: '10.10.2.1' },
  ],
  pods: [
    { ip: '10.10.1.5', namespace: 'x', name: 'a', egress: { name: 'out', ip: '192.168.77.101', node: 'node-1' } },
    { ip: '10.10.1.6', namespace: 'y', name: 'b' },
  ],
};
const RULES: RuleEntry[] = [
  { id: 0x11, policy: { type: 'AntreaNetworkPolicy', namespace: 'y', name: 'allow-in' }, rule: 'in', direction: 'Ingress', action: 'Allow', table: 'AntreaPolicyIngressRule' },
  { id: 0x22, policy: { type: 'AntreaClusterNetworkPolicy', name: 'allow-out' }, rule: 'out', direction: 'Egress', action: 'Allow', table: 'AntreaPolicyEgressRule' },
  { id: 0x33, policy: { type: 'AntreaNetworkPolicy', namespace: 'y', name: 'reject-in' }, rule: 'rej', direction: 'Ingress', action: 'Reject', table: 'AntreaPolicyIngressRule' },
];
const naming = new Naming(SETTINGS, RULES);
const cfg: StoreConfig = { activeTimeoutMs: 2000, idleTimeoutMs: 1000, staleTimeoutMs: 300_000, protocols: new Set([6, 17, 132]), maxConnections: 100, maxPerRound: 64 };

// The userspace datapath's dump (captured from ovs-vswitchd), and a kernel-style one with counters and labels.
const USERSPACE =
  'tcp,orig=(src=10.10.1.5,dst=10.10.1.6,sport=40000,dport=80),reply=(src=10.10.1.6,dst=10.10.1.5,sport=80,dport=40000),id=0,zone=65520,status=0,timeout=29,mark=3,labels=0x2200000011,protoinfo=(state_orig=ESTABLISHED,state_reply=SYN_SENT,flags_orig=0,flags_reply=0)';
const line = (o: { sport?: number; zone?: number; mark?: number; packets?: number; dst?: string; state?: string } = {}) =>
  `tcp,orig=(src=10.10.1.5,dst=${o.dst ?? '10.10.1.6'},sport=${o.sport ?? 40000},dport=80,packets=${o.packets ?? 1},bytes=${(o.packets ?? 1) * 60}),reply=(src=${o.dst ?? '10.10.1.6'},dst=10.10.1.5,sport=80,dport=${o.sport ?? 40000},packets=1,bytes=60),start=2026-01-01T00:00:00.000,id=1,zone=${o.zone ?? 65520},status=14,timeout=30,mark=${o.mark ?? 3},labels=0x2200000011,protoinfo=(state=${o.state ?? 'ESTABLISHED'})`;

describe('conntrack dumps as Antrea reads them', () => {
  test('the userspace datapath: 5-tuple, zone, mark, labels and a kernel-style TCP state', () => {
    const c = parseConntrackLine(USERSPACE)!;
    expect(c).toMatchObject({ protocol: 6, src: '10.10.1.5', dst: '10.10.1.6', sport: 40000, dport: 80, zone: 65520, mark: 3, tcpState: 'SYN_SENT', packets: 0n });
    expect(c.labels.readUInt32BE(12)).toBe(0x11);
    expect(c.labels.readUInt32BE(8)).toBe(0x22);
  });
  test('counters and start time when the dump has them; DNAT keeps the original destination', () => {
    const c = parseConntrackLine(line({ packets: 4, dst: '10.10.1.6' }).replace('orig=(src=10.10.1.5,dst=10.10.1.6', 'orig=(src=10.10.1.5,dst=10.96.0.10'))!;
    expect(c).toMatchObject({ dst: '10.10.1.6', origDst: '10.96.0.10', packets: 4n, bytes: 240n, reversePackets: 1n, startSeconds: 1_767_225_600 });
  });
  test("only Antrea's zone, committed by the pipeline, not to a gateway", () => {
    const dump = [line({ sport: 1 }), line({ sport: 2, zone: 0 }), line({ sport: 3, mark: 0 }), line({ sport: 4, dst: '10.10.1.1' }), 'icmp,orig=(src=1.1.1.1,dst=2.2.2.2,id=1,type=8,code=0),reply=(src=2.2.2.2,dst=1.1.1.1,id=1,type=0,code=0),zone=65520,mark=3', 'garbage'].join('\n');
    expect(parseConntrackDump(dump, { zone: 65520, gateways: naming.gateways }).map((c) => c.sport)).toEqual([1, 0]);
  });
});

describe('flow records: timeouts as Antrea applies them', () => {
  const ct = (o: Parameters<typeof line>[0] = {}) => parseConntrackDump(line(o), { zone: 65520, gateways: naming.gateways });

  test('a new connection is exported at its idle or active deadline; an unchanged one goes idle and leaves the queue', () => {
    const s = new ConntrackStore(cfg, naming);
    s.update(ct({ packets: 1 }), 0);
    expect(s.expired(999)).toEqual([]);
    // Idle (1 s) comes first; the stats changed since the start, so it is still active.
    const [first] = s.expired(1000);
    expect(first).toMatchObject({ endReason: 'active', packets: 1n });
    // Nothing changes: at the next deadline the record says idle, and the connection leaves the queue.
    s.update(ct({ packets: 1 }), 1500);
    const [second] = s.expired(2000);
    expect(second?.endReason).toBe('idle');
    expect(s.expired(10_000)).toEqual([]);
    // New packets put it back in the queue.
    s.update(ct({ packets: 3 }), 10_500);
    const [third] = s.expired(11_500);
    expect(third).toMatchObject({ endReason: 'active', packets: 3n, prevPackets: 1n });
  });

  test('a busy connection is exported every active timeout', () => {
    const s = new ConntrackStore({ ...cfg, idleTimeoutMs: 5000, activeTimeoutMs: 2000 }, naming);
    const exports: number[] = [];
    for (let t = 0, p = 1; t <= 10_000; t += 500, p++) {
      s.update(ct({ packets: p }), t);
      if (s.expired(t).length) exports.push(t);
    }
    expect(exports).toEqual([2000, 4000, 6000, 8000, 10_000]);
  });

  test('a connection gone from conntrack is exported once more with end of flow, then forgotten', () => {
    const s = new ConntrackStore(cfg, naming);
    s.update(ct(), 0);
    s.update([], 500);
    const [last] = s.expired(1000);
    expect(last?.endReason).toBe('end');
    s.update([], 1500);
    expect(s.size).toBe(0);
  });

  test('memory is bounded: connections beyond the cap are counted, not stored', () => {
    const s = new ConntrackStore({ ...cfg, maxConnections: 10 }, naming);
    s.update(
      Array.from({ length: 50 }, (_, i) => ct({ sport: 1000 + i })[0]!),
      0,
    );
    expect(s.size).toBe(10);
    expect(s.overflow).toBe(40);
    expect(new ConntrackStore({ ...cfg, maxPerRound: 3 }, naming).expired(0)).toEqual([]);
  });

  test('the record names Pods, Node, both rules from ct_label, and the flow type', () => {
    const s = new ConntrackStore(cfg, naming);
    s.update(ct(), 0);
    const v = recordValues(s.expired(1000)[0]!, naming)!;
    expect(v).toMatchObject({
      sourcePodName: 'a',
      sourcePodNamespace: 'x',
      sourceNodeName: 'node-1',
      destinationPodName: 'b',
      destinationNodeName: 'node-1',
      flowType: FlowType.intraNode,
      ingressNetworkPolicyName: 'allow-in',
      ingressNetworkPolicyNamespace: 'y',
      ingressNetworkPolicyType: 2,
      ingressNetworkPolicyRuleName: 'in',
      ingressNetworkPolicyRuleAction: RuleAction.allow,
      egressNetworkPolicyName: 'allow-out',
      egressNetworkPolicyNamespace: '',
      egressNetworkPolicyType: 3,
      egressName: '',
    });
  });

  test('flow types as findFlowType decides; Egress naming only on to-external records from the source Node', () => {
    expect(naming.flowType('10.10.1.5', '10.10.2.7', true, false)).toBe(FlowType.interNode);
    expect(naming.flowType('10.10.1.5', '203.0.113.10', true, false)).toBe(FlowType.toExternal);
    expect(naming.flowType('203.0.113.10', '10.10.1.5', false, true)).toBe(FlowType.fromExternal);
    expect(naming.flowType('10.10.2.1', '10.10.1.5', false, true)).toBe(FlowType.interNode);
    expect(naming.flowType('10.10.1.5', '10.10.1.1', true, false)).toBe(FlowType.unsupported);
    const s = new ConntrackStore(cfg, naming);
    s.update(ct({ dst: '203.0.113.10' }), 0);
    expect(recordValues(s.expired(1000)[0]!, naming)).toMatchObject({ flowType: 3, egressName: 'out', egressIP: '192.168.77.101', egressNodeName: 'node-1', destinationPodName: '' });
  });

  test('denied connections: one record per idle timeout while packets keep coming, named by the denying rule and the allowing one', () => {
    const d = new DenyStore(cfg, naming);
    const labels = Buffer.alloc(16);
    labels.writeUInt32BE(0x22, 8);
    const p = { flow: { src: '10.10.1.5', dst: '10.10.1.6', sport: 40000, dport: 80, protocol: 6 }, ipLength: 60, ruleId: 0x33, direction: 'Ingress' as const, action: RuleAction.reject, labels };
    d.add(p, 0);
    d.add(p, 300);
    const [r] = d.expired(1300);
    expect(r).toMatchObject({ packets: 2n, bytes: 120n, endReason: 'end' });
    expect(recordValues(r!, naming)).toMatchObject({
      ingressNetworkPolicyName: 'reject-in',
      ingressNetworkPolicyRuleName: 'rej',
      ingressNetworkPolicyRuleAction: 3,
      egressNetworkPolicyName: 'allow-out',
      egressNetworkPolicyRuleAction: 1,
    });
    // A K8s isolation drop names no policy, only its type and the action.
    d.add({ ...p, flow: { ...p.flow, sport: 40001 }, ruleId: undefined, action: RuleAction.drop, labels: undefined }, 0);
    const k8s = d.expired(5000).find((c) => c.flow.sport === 40001)!;
    expect(recordValues(k8s, naming)).toMatchObject({ ingressNetworkPolicyName: '', ingressNetworkPolicyType: 1, ingressNetworkPolicyRuleAction: 2 });
    d.sweep(6000);
    expect(d.size).toBe(0);
  });
});
