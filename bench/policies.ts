/**
 * Network policies for the synthetic snapshot (generate.ts `policyDocs`), drawn against its cluster model with
 * their own PRNG stream, so the same seed gives the same policies and the rest of the snapshot does not move.
 *
 * Profile `mixed` (the default), roughly what a large multi-team cluster carries:
 * - 50 % Kubernetes NetworkPolicies (networking.k8s.io/v1) in random Namespaces: podSelector by `app` (narrow),
 *   by `pod-template-hash` of a one-replica workload (one Pod) or `{}` (the whole Namespace); ingress from
 *   podSelector / namespaceSelector / both / ipBlock (some with `except`), egress to podSelector (DNS and data
 *   stores of other Namespaces included) or ipBlock; numeric ports, named ports (names the selected Pods'
 *   containers really have), endPort ranges; 10 % are policyTypes-only deny-alls.
 * - 30 % Antrea NetworkPolicies (crd.antrea.io/v1beta1, namespaced): tier application or securityops, priority a
 *   float in 1–100, named rules with actions Allow / Drop / Reject / Pass, appliedTo podSelector.
 * - 20 % ClusterNetworkPolicies: tiers emergency / securityops / platform / application / baseline (no Pass there;
 *   integer priorities 1–12, as baseline has only 170 OpenFlow priorities), appliedTo namespaceSelector,
 *   podSelector + namespaceSelector, podSelector, a ClusterGroup or everything; peers namespaceSelector /
 *   podSelector / ipBlock / `namespaces: {match: Self}` / ClusterGroup; some rule-level appliedTo.
 * - ClusterGroups for those references (one per 25 ClusterNetworkPolicies, at least 6), not counted as policies.
 *
 * Selector widths (`Width`): one Pod, one workload (1–8 Pods), one Namespace, a label about 10 % of Pods share
 * (a `tier` of two apps, `version: v3`, a team's Namespaces, `pci`), and everything. A rule's flows on a Node grow
 * with its peers times the Nodes its appliedTo reaches, so wide peers are paired only with narrow appliedTo, as
 * in real clusters (all Pods may reach DNS; one database admits the api tier cluster-wide): `peerCeiling`.
 *
 * Profile `antrea-controller`: Antrea's controller benchmark (TestInitXLargeScaleWithSmallNamespaces in
 * pkg/controller/networkpolicy/networkpolicy_controller_perf_test.go): per Namespace a default-deny-all and two
 * policies that isolate one app each and admit that app's own Pods, both directions isolated.
 */
import type { KubeDoc, Labels, Rng, SyntheticCluster, SyntheticNamespace, SyntheticWorkload } from './generate.js';

export type PolicyProfile = 'mixed' | 'antrea-controller';

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: Operator; values?: string[] }[];
}
type Doc = Record<string, unknown>;

/** How many Pods a selector picks, by construction. Ordered from narrow to wide. */
type Width = 'pod' | 'app' | 'namespace' | 'label' | 'all';
const WIDTH_RANK: Record<Width, number> = { pod: 0, app: 1, namespace: 2, label: 3, all: 4 };

/**
 * The widest peers a rule may have for the width of its appliedTo (see the header): anything for one workload,
 * up to a Namespace for a Namespace, one workload for a label or everything (such rules reach every Node).
 */
function peerCeiling(appliedTo: Width): Width {
  return appliedTo === 'pod' || appliedTo === 'app' ? 'all' : appliedTo === 'namespace' ? 'namespace' : 'app';
}

// ─── the model, indexed ─────────────────────────────────────────────────────────────────────────────────────

interface Wl {
  w: SyntheticWorkload;
  replicas: number;
}

interface Ns {
  ns: SyntheticNamespace;
  workloads: Wl[];
  pods: number;
}

/** Tiers of two apps each (10 % of workloads apiece): the "label about 10 % of Pods share". */
const TENTH_TIERS = ['batch', 'cache', 'db', 'queue', 'infra'] as const;

class Index {
  /** Namespaces with at least one Pod, in model order. */
  readonly namespaces: Ns[] = [];
  readonly teams: string[] = [];
  readonly byTeam = new Map<string, Ns[]>();
  /** Namespaces holding a workload of this tier (for egress to data stores) and the DNS cache. */
  readonly byTier = new Map<string, Ns[]>();
  readonly dns: Ns[] = [];

  constructor(cluster: SyntheticCluster) {
    const replicas = new Map<SyntheticWorkload, number>();
    for (const p of cluster.pods) replicas.set(p.workload, (replicas.get(p.workload) ?? 0) + 1);
    const byName = new Map<string, Ns>();
    for (const ns of cluster.namespaces) byName.set(ns.name, { ns, workloads: [], pods: 0 });
    for (const w of cluster.workloads) {
      const n = byName.get(w.namespace)!;
      const r = replicas.get(w) ?? 0;
      if (r === 0) continue;
      n.workloads.push({ w, replicas: r });
      n.pods += r;
    }
    for (const n of byName.values()) {
      if (n.pods === 0) continue;
      this.namespaces.push(n);
      const team = n.ns.labels['team']!;
      if (!this.byTeam.has(team)) {
        this.byTeam.set(team, []);
        this.teams.push(team);
      }
      this.byTeam.get(team)!.push(n);
      for (const tier of new Set(n.workloads.map((x) => x.w.tier))) {
        if (!this.byTier.has(tier)) this.byTier.set(tier, []);
        this.byTier.get(tier)!.push(n);
      }
      if (n.workloads.some((x) => x.w.app === 'dns-cache')) this.dns.push(n);
    }
  }
}

// ─── small helpers ──────────────────────────────────────────────────────────────────────────────────────────

const pad = (i: number, width: number): string => String(i).padStart(width, '0');

function uid(rng: Rng): string {
  const h = (n: number) => rng.chars(n, '0123456789abcdef');
  return `${h(8)}-${h(4)}-4${h(3)}-${'89ab'[rng.int(4)]}${h(3)}-${h(12)}`;
}

const labels = (l: Labels): Selector => ({ matchLabels: l });
const nsNamed = (n: Ns): Selector => labels({ 'kubernetes.io/metadata.name': n.ns.name });

/** Addresses outside the cluster (documentation and benchmark ranges) and the Internet minus private space. */
const FIXED_BLOCKS: readonly Doc[] = [
  { cidr: '203.0.113.0/24' },
  { cidr: '198.51.100.0/24', except: ['198.51.100.128/25'] },
  { cidr: '192.0.2.0/24' },
  { cidr: '172.31.0.0/16', except: ['172.31.255.0/24', '172.31.0.0/24'] },
];
const INTERNET: Doc = { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'] };

/** Port ranges a rule may open (`endPort`). */
const RANGES: readonly (readonly [number, number])[] = [
  [9100, 9110],
  [8000, 8099],
  [30000, 32767],
  [5000, 5010],
];

// ─── the generator ──────────────────────────────────────────────────────────────────────────────────────────

interface PodPick {
  sel: Selector;
  width: Width;
  /** The workload whose ports a rule on these Pods may name. */
  wl: Wl;
  /** A short word for names. */
  tag: string;
}

interface PeerPick {
  peer: Doc;
  width: Width;
  tag: string;
  /** For egress: the destination workload, whose ports the rule may name. */
  wl?: Wl;
  /** For egress: ports that go with this destination (DNS, HTTPS). */
  ports?: Doc[];
}

interface Group {
  name: string;
  doc: KubeDoc;
  width: Width;
  /** Selects Pods (usable as appliedTo); false for ipBlock groups. */
  pods: boolean;
}

class MixedPolicies {
  private readonly groups: Group[] = [];

  constructor(
    private readonly ix: Index,
    private readonly rng: Rng,
  ) {}

  // ── picks ──

  private ns(): Ns {
    return this.rng.pick(this.ix.namespaces);
  }

  private wl(n: Ns): Wl {
    return this.rng.pick(n.workloads);
  }

  /** One Pod: the pod-template-hash of a one-replica workload (or the smallest workload if none has one). */
  private onePod(n: Ns): PodPick {
    const singles = n.workloads.filter((x) => x.replicas === 1);
    const wl = singles.length > 0 ? this.rng.pick(singles) : n.workloads.reduce((a, b) => (b.replicas < a.replicas ? b : a));
    return { sel: labels({ 'pod-template-hash': wl.w.templateHash }), width: wl.replicas === 1 ? 'pod' : 'app', wl, tag: wl.w.app };
  }

  /** One workload by `app`, sometimes two by `app In (…)`. */
  private app(n: Ns): PodPick {
    const wl = this.wl(n);
    if (n.workloads.length > 1 && this.rng.chance(0.2)) {
      let other = this.wl(n);
      while (other === wl) other = this.wl(n);
      const values = [wl.w.app, other.w.app].sort();
      return { sel: { matchExpressions: [{ key: 'app', operator: 'In', values }] }, width: 'app', wl, tag: wl.w.app };
    }
    return { sel: labels({ app: wl.w.app }), width: 'app', wl, tag: wl.w.app };
  }

  /** The whole Namespace (`{}`), or a large part of it (a tier, every version but v1). */
  private wholeNs(n: Ns): PodPick {
    const wl = this.wl(n);
    const r = this.rng.next();
    if (r < 0.75) return { sel: {}, width: 'namespace', wl, tag: 'all' };
    if (r < 0.9) return { sel: labels({ tier: wl.w.tier }), width: 'namespace', wl, tag: wl.w.tier };
    return { sel: { matchExpressions: [{ key: 'version', operator: 'NotIn', values: ['v1'] }] }, width: 'namespace', wl, tag: 'new' };
  }

  /** Pods of a namespaced policy's own Namespace. */
  private local(n: Ns, weights: readonly [Width, number][]): PodPick {
    const width = this.rng.weighted(weights);
    return width === 'pod' ? this.onePod(n) : width === 'app' ? this.app(n) : this.wholeNs(n);
  }

  /** A cluster-wide label about 10 % of Pods share. */
  private tenthLabel(): { sel: Selector; tag: string } {
    if (this.rng.chance(0.2)) return { sel: labels({ version: 'v3' }), tag: 'v3' };
    const tier = this.rng.pick(TENTH_TIERS);
    return { sel: labels({ tier }), tag: tier };
  }

  private team(): string {
    return this.rng.pick(this.ix.teams);
  }

  private ipBlock(): { block: Doc; tag: string } {
    const r = this.rng.next();
    if (r < 0.5) return { block: this.rng.pick(FIXED_BLOCKS), tag: 'ext' };
    if (r < 0.7) return { block: INTERNET, tag: 'internet' };
    // A partner's range: /24 to /30 in 198.18.0.0/15 (RFC 2544 benchmarking addresses).
    const prefix = 24 + this.rng.int(7);
    const host = (this.rng.int(512) << 8) & ~((1 << (32 - prefix)) - 1);
    const a = 198;
    const b = 18 + (host >>> 16);
    const block: Doc = { cidr: `${a}.${b}.${(host >>> 8) & 255}.${host & 255}/${prefix}` };
    if (prefix <= 26 && this.rng.chance(0.5)) {
      const sub = prefix + 2;
      const off = this.rng.int(4) << (32 - sub);
      const h2 = host + off;
      block['except'] = [`${a}.${18 + (h2 >>> 16)}.${(h2 >>> 8) & 255}.${h2 & 255}/${sub}`];
    }
    return { block, tag: 'partner' };
  }

  // ── ports ──

  private portOf(wl: Wl, named: boolean, k8s: boolean): Doc {
    const p = this.rng.pick(wl.w.ports);
    const out: Doc = {};
    // Kubernetes defaults the protocol to TCP; manifests often leave it out.
    if (p.protocol !== 'TCP' || !k8s || this.rng.chance(0.6)) out['protocol'] = p.protocol;
    out['port'] = named ? p.name : p.containerPort;
    return out;
  }

  /** Ports of a rule that admits traffic to (ingress) or sends it to (egress) `wl`'s Pods; undefined: all ports. */
  private ports(wl: Wl, k8s: boolean, allowNamed = true): Doc[] | undefined {
    if (this.rng.chance(0.25)) return undefined;
    const out: Doc[] = [];
    const n = this.rng.chance(0.3) ? 2 : 1;
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const kind = this.rng.weighted<'numeric' | 'named' | 'range' | 'metrics'>([
        ['numeric', 45],
        ['named', allowNamed ? 30 : 0],
        ['range', 15],
        ['metrics', allowNamed && wl.w.ports.some((p) => p.name === 'metrics') ? 10 : 0],
      ]);
      let port: Doc;
      if (kind === 'range') {
        const [lo, hi] = this.rng.pick(RANGES);
        port = { protocol: 'TCP', port: lo, endPort: hi };
      } else if (kind === 'metrics') port = k8s && this.rng.chance(0.5) ? { port: 'metrics' } : { protocol: 'TCP', port: 'metrics' };
      else port = this.portOf(wl, kind === 'named', k8s);
      const key = JSON.stringify(port);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(port);
    }
    return out;
  }

  /** Ports of a rule whose Pods are not one workload (wide appliedTo): well-known numbers and ranges. */
  private genericPorts(): Doc[] | undefined {
    const r = this.rng.next();
    if (r < 0.4) return undefined;
    if (r < 0.6) {
      const [lo, hi] = this.rng.pick(RANGES);
      return [{ protocol: 'TCP', port: lo, endPort: hi }];
    }
    return [{ protocol: 'TCP', port: this.rng.pick([22, 80, 443, 8080, 9090]) }];
  }

  // ── peers ──

  /**
   * An ingress peer (or an egress destination) of any kind; widths above `ceiling` are not drawn. `own` is the
   * policy's Namespace (undefined for ClusterNetworkPolicies, whose podSelector alone means every Namespace).
   */
  private peer(own: Ns | undefined, ceiling: Width, kind: 'k8s' | 'annp' | 'acnp'): PeerPick {
    const fits = (w: Width) => WIDTH_RANK[w] <= WIDTH_RANK[ceiling];
    type Kind = 'local-pod' | 'local-app' | 'local-ns' | 'ns-one' | 'ns-app' | 'team' | 'team-app' | 'tenth' | 'self' | 'group' | 'ipblock' | 'everything';
    const k = this.rng.weighted<Kind>([
      ['local-pod', own ? 6 : 0],
      ['local-app', own ? 26 : 0],
      ['local-ns', own ? 10 : 0],
      ['ns-one', fits('namespace') ? 12 : 0],
      ['ns-app', kind === 'acnp' ? 20 : 10],
      ['team', fits('label') ? 3 : 0],
      ['team-app', fits('namespace') ? 10 : 0],
      ['tenth', fits('label') && kind === 'acnp' ? 6 : 0],
      ['self', kind === 'acnp' ? 10 : 0],
      ['group', kind === 'acnp' ? 8 : 0],
      ['ipblock', 10],
      ['everything', fits('all') ? 0.5 : 0],
    ]);
    switch (k) {
      case 'local-pod':
      case 'local-app':
      case 'local-ns': {
        const pick = k === 'local-pod' ? this.onePod(own!) : k === 'local-app' ? this.app(own!) : this.wholeNs(own!);
        return { peer: { podSelector: pick.sel }, width: pick.width, tag: pick.tag, wl: pick.wl };
      }
      case 'ns-one': {
        const n = this.ns();
        return { peer: { namespaceSelector: nsNamed(n) }, width: 'namespace', tag: n.ns.labels['team']!, wl: this.wl(n) };
      }
      case 'ns-app': {
        const n = this.ns();
        const pick = this.rng.chance(0.2) ? this.onePod(n) : this.app(n);
        return { peer: { namespaceSelector: nsNamed(n), podSelector: pick.sel }, width: pick.width, tag: pick.tag, wl: pick.wl };
      }
      case 'team': {
        const team = this.team();
        const n = this.rng.pick(this.ix.byTeam.get(team)!);
        const sel = this.rng.chance(0.5) ? labels({ team, env: n.ns.labels['env']! }) : labels({ team });
        return { peer: { namespaceSelector: sel }, width: 'label', tag: team, wl: this.wl(n) };
      }
      case 'team-app': {
        // An app across a team's Namespaces: a few dozen to a few hundred Pods.
        const team = this.team();
        const n = this.rng.pick(this.ix.byTeam.get(team)!);
        const wl = this.wl(n);
        return { peer: { namespaceSelector: labels({ team }), podSelector: labels({ app: wl.w.app }) }, width: 'namespace', tag: wl.w.app, wl };
      }
      case 'tenth': {
        const { sel, tag } = this.tenthLabel();
        return { peer: { podSelector: sel }, width: 'label', tag };
      }
      case 'self': {
        // The appliedTo Pod's own Namespace, usually narrowed to one app (by its base name, which most
        // Namespaces that run it use) or a 10 % tier of it.
        const r = this.rng.next();
        if (r < 0.3 && fits('namespace')) return { peer: { namespaces: { match: 'Self' } }, width: 'namespace', tag: 'same-ns' };
        if (r < 0.6) {
          const tier = this.rng.pick(TENTH_TIERS);
          return { peer: { namespaces: { match: 'Self' }, podSelector: labels({ tier }) }, width: 'app', tag: `same-ns-${tier}` };
        }
        const app = this.wl(this.ns()).w.app.replace(/-(canary|\d+)$/, '');
        return { peer: { namespaces: { match: 'Self' }, podSelector: labels({ app }) }, width: 'app', tag: `same-ns-${app}` };
      }
      case 'group': {
        const candidates = this.groups.filter((g) => fits(g.width));
        const g = this.rng.pick(candidates);
        return { peer: { group: g.name }, width: g.width, tag: g.name.replace(/^cg-/, '') };
      }
      case 'ipblock': {
        const { block, tag } = this.ipBlock();
        return { peer: { ipBlock: block }, width: 'pod', tag };
      }
      case 'everything':
        return { peer: { namespaceSelector: {} }, width: 'all', tag: 'anywhere' };
    }
  }

  /** An egress destination: a workload (same or another Namespace), DNS, the Internet or a partner range. */
  private egressPeer(own: Ns | undefined, ceiling: Width, kind: 'k8s' | 'annp' | 'acnp'): PeerPick {
    const r = this.rng.next();
    if (r < 0.2 && this.ix.dns.length > 0) {
      const n = this.rng.pick(this.ix.dns);
      return {
        peer: { namespaceSelector: nsNamed(n), podSelector: labels({ app: 'dns-cache' }) },
        width: 'app',
        tag: 'dns',
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      };
    }
    const stores = ['db', 'cache', 'queue'].filter((t) => this.ix.byTier.has(t));
    if (r < 0.35 && stores.length > 0) {
      // A data store, usually in another Namespace.
      const tier = this.rng.pick(stores);
      const n = this.rng.pick(this.ix.byTier.get(tier)!);
      const wl = this.rng.pick(n.workloads.filter((x) => x.w.tier === tier));
      return { peer: { namespaceSelector: nsNamed(n), podSelector: labels({ app: wl.w.app }) }, width: 'app', tag: wl.w.app, wl };
    }
    if (r < 0.5) {
      return { peer: { ipBlock: INTERNET }, width: 'pod', tag: 'internet', ports: [{ protocol: 'TCP', port: 443 }] };
    }
    if (r < 0.6) {
      const { block, tag } = this.ipBlock();
      return { peer: { ipBlock: block }, width: 'pod', tag };
    }
    return this.peer(own, ceiling, kind);
  }

  // ── Kubernetes NetworkPolicy ──

  k8s(i: number, width: number): KubeDoc {
    const n = this.ns();
    const meta = (name: string): Doc => ({ name: `${name}-${pad(i, width)}`, namespace: n.ns.name, uid: uid(this.rng) });
    const doc = (name: string, spec: Doc): KubeDoc => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(name), spec });
    if (this.rng.chance(0.1)) {
      const types = this.rng.weighted<string[]>([
        [['Ingress'], 5],
        [['Ingress', 'Egress'], 4],
        [['Egress'], 1],
      ]);
      const name = types.length === 2 ? 'default-deny-all' : `default-deny-${types[0]!.toLowerCase()}`;
      return doc(name, { podSelector: {}, policyTypes: types });
    }
    const target = this.local(n, [
      ['app', 55],
      ['pod', 10],
      ['namespace', 35],
    ]);
    const ceiling = peerCeiling(target.width);
    const dir = this.rng.weighted<'in' | 'out' | 'both'>([
      ['in', 65],
      ['out', 10],
      ['both', 25],
    ]);
    const spec: Doc = { podSelector: target.sel };
    if (dir !== 'out') {
      const rules: Doc[] = [];
      const count = 1 + (this.rng.chance(0.35) ? 1 : 0) + (this.rng.chance(0.1) ? 1 : 0);
      for (let k = 0; k < count; k++) {
        const rule: Doc = {};
        if (!this.rng.chance(0.08)) {
          const peers = this.rng.chance(0.25) ? 2 : 1;
          rule['from'] = Array.from({ length: peers }, () => this.peer(n, ceiling, 'k8s').peer);
        }
        const ports = this.ports(target.wl, true);
        if (ports) rule['ports'] = ports;
        rules.push(rule);
      }
      spec['ingress'] = rules;
    }
    if (dir !== 'in') {
      const rules: Doc[] = [];
      const count = this.rng.chance(0.3) ? 2 : 1;
      for (let k = 0; k < count; k++) {
        const to = this.egressPeer(n, ceiling, 'k8s');
        const rule: Doc = { to: [to.peer] };
        const ports = to.ports ?? (to.wl ? this.ports(to.wl, true) : this.rng.chance(0.5) ? [{ protocol: 'TCP', port: 443 }] : undefined);
        if (ports) rule['ports'] = ports;
        rules.push(rule);
      }
      spec['egress'] = rules;
    }
    // Egress-only needs policyTypes; otherwise it is written out about half the time, as kubectl users do.
    if (dir === 'out') spec['policyTypes'] = ['Egress'];
    else if (dir === 'both' || this.rng.chance(0.5)) spec['policyTypes'] = dir === 'both' ? ['Ingress', 'Egress'] : ['Ingress'];
    return doc(`allow-${target.tag}`, spec);
  }

  // ── Antrea-native rules ──

  private action(baseline: boolean): 'Allow' | 'Drop' | 'Reject' | 'Pass' {
    return this.rng.weighted<'Allow' | 'Drop' | 'Reject' | 'Pass'>([
      ['Allow', 50],
      ['Drop', 25],
      ['Reject', 10],
      ['Pass', baseline ? 0 : 15],
    ]);
  }

  /** Rules of one direction; names are unique within the policy (`used`). */
  private antreaRules(
    direction: 'ingress' | 'egress',
    count: number,
    own: Ns | undefined,
    target: { width: Width; wl: Wl | undefined },
    kind: 'annp' | 'acnp',
    baseline: boolean,
    used: Set<string>,
    ruleAppliedTo?: () => { entry: Doc; width: Width; wl: Wl | undefined },
  ): Doc[] {
    const rules: Doc[] = [];
    for (let k = 0; k < count; k++) {
      const at = ruleAppliedTo?.();
      const width = at?.width ?? target.width;
      const wl = at?.wl ?? target.wl;
      const ceiling = peerCeiling(width);
      // The last rule is often a catch-all deny.
      const catchAll = k === count - 1 && k > 0 && this.rng.chance(0.5);
      const action = catchAll ? (this.rng.chance(0.7) ? 'Drop' : 'Reject') : this.action(baseline);
      const rule: Doc = { action };
      let tag = 'any';
      const anyPeer = !catchAll && this.rng.chance(0.1);
      if (anyPeer) {
        // From (or to) anywhere, on given ports only.
        const dest = direction === 'ingress' ? wl : undefined;
        rule['ports'] = (dest ? this.ports(dest, false) : undefined) ?? [{ protocol: 'TCP', port: this.rng.pick([80, 443, 8080]) }];
      } else if (!catchAll) {
        const peers: PeerPick[] = [];
        const n = this.rng.chance(0.2) ? 2 : 1;
        for (let j = 0; j < n; j++) peers.push(direction === 'ingress' ? this.peer(own, ceiling, kind) : this.egressPeer(own, ceiling, kind));
        rule[direction === 'ingress' ? 'from' : 'to'] = peers.map((p) => p.peer);
        tag = peers[0]!.tag;
        const dest = direction === 'ingress' ? wl : peers[0]!.wl;
        const ports =
          direction === 'egress' && peers[0]!.ports
            ? peers[0]!.ports
            : dest
              ? this.ports(dest, false, direction === 'ingress' || peers.length === 1)
              : this.genericPorts();
        if (ports) rule['ports'] = ports;
        else if (action !== 'Allow' && this.rng.chance(0.1)) rule['protocols'] = [{ icmp: { icmpType: 8, icmpCode: 0 } }];
      }
      let name = `${action.toLowerCase()}-${direction === 'ingress' ? 'from' : 'to'}-${tag}`;
      for (let s = 2; used.has(name); s++) name = `${action.toLowerCase()}-${direction === 'ingress' ? 'from' : 'to'}-${tag}-${s}`;
      used.add(name);
      // `name` first, as people write it.
      const named: Doc = { name, ...rule };
      if (this.rng.chance(0.05)) named['enableLogging'] = true;
      if (at) named['appliedTo'] = [at.entry];
      rules.push(named);
    }
    return rules;
  }

  private priority(baseline: boolean): number {
    return baseline ? 1 + this.rng.int(12) : Math.round((1 + this.rng.next() * 99) * 10) / 10;
  }

  private directions(): { ingress: number; egress: number } {
    const dir = this.rng.weighted<'in' | 'out' | 'both'>([
      ['in', 60],
      ['out', 15],
      ['both', 25],
    ]);
    const n = () => 1 + (this.rng.chance(0.4) ? 1 : 0) + (this.rng.chance(0.15) ? 1 : 0);
    return { ingress: dir === 'out' ? 0 : n(), egress: dir === 'in' ? 0 : n() };
  }

  // ── Antrea NetworkPolicy ──

  annp(i: number, width: number): KubeDoc {
    const n = this.ns();
    const tier = this.rng.weighted<string | undefined>([
      ['application', 55],
      [undefined, 15], // empty: the application Tier
      ['securityops', 30],
    ]);
    const target = this.local(n, [
      ['app', 55],
      ['pod', 10],
      ['namespace', 35],
    ]);
    const { ingress, egress } = this.directions();
    const used = new Set<string>();
    const spec: Doc = {};
    if (tier) spec['tier'] = tier;
    spec['priority'] = this.priority(false);
    spec['appliedTo'] = [{ podSelector: target.sel }];
    if (ingress > 0) spec['ingress'] = this.antreaRules('ingress', ingress, n, target, 'annp', false, used);
    if (egress > 0) spec['egress'] = this.antreaRules('egress', egress, n, target, 'annp', false, used);
    return {
      apiVersion: 'crd.antrea.io/v1beta1',
      kind: 'NetworkPolicy',
      metadata: { name: `anp-${target.tag}-${pad(i, width)}`, namespace: n.ns.name, uid: uid(this.rng) },
      spec,
    };
  }

  // ── ClusterGroups ──

  buildGroups(count: number): KubeDoc[] {
    const kinds = ['pci', 'app', 'team', 'tier', 'app', 'external', 'datastores', 'app'] as const;
    const used = new Set<string>();
    const add = (name: string, spec: Doc, width: Width, pods: boolean) => {
      if (used.has(name)) return;
      used.add(name);
      this.groups.push({ name, width, pods, doc: { apiVersion: 'crd.antrea.io/v1beta1', kind: 'ClusterGroup', metadata: { name, uid: uid(this.rng) }, spec } });
    };
    const tierGroup = (tier: string) => add(`cg-tier-${tier}`, { podSelector: labels({ tier }) }, 'label', true);
    for (let k = 0; this.groups.length < count && k < count * 4; k++) {
      switch (kinds[k % kinds.length]!) {
        case 'pci':
          add('cg-pci-namespaces', { namespaceSelector: labels({ pci: 'true' }) }, 'label', true);
          break;
        case 'team': {
          const team = this.team();
          add(`cg-team-${team}`, { namespaceSelector: labels({ team }) }, 'label', true);
          break;
        }
        case 'tier':
          tierGroup(this.rng.pick(TENTH_TIERS));
          break;
        case 'app': {
          const n = this.ns();
          const pick = this.rng.chance(0.3) ? this.onePod(n) : this.app(n);
          add(`cg-${n.ns.name}-${pick.tag}`, { podSelector: pick.sel, namespaceSelector: nsNamed(n) }, pick.width, true);
          break;
        }
        case 'external': {
          const blocks = Array.from({ length: 1 + this.rng.int(3) }, () => this.ipBlock().block);
          const unique = [...new Map(blocks.map((b) => [JSON.stringify(b), b])).values()];
          add(`cg-external-${this.groups.length}`, { ipBlocks: unique }, 'pod', false);
          break;
        }
        case 'datastores':
          // A parent of two tier groups (groups nest one level): its children must not have children.
          tierGroup('db');
          tierGroup('cache');
          add('cg-datastores', { childGroups: ['cg-tier-db', 'cg-tier-cache'] }, 'label', true);
          break;
      }
    }
    return this.groups.map((g) => g.doc);
  }

  // ── ClusterNetworkPolicy ──

  /** An appliedTo entry of a ClusterNetworkPolicy, with its width. */
  private clusterAppliedTo(): { entry: Doc; width: Width; wl: Wl | undefined; tag: string } {
    type Kind = 'ns-one' | 'team' | 'pci' | 'app-team' | 'app-ns' | 'tenth' | 'tier-env' | 'one-pod' | 'group' | 'prod' | 'everything';
    // Most ClusterNetworkPolicies here are a platform team's per-tenant rules (one Namespace, one app); about one
    // in ten reaches most Nodes (a team, a 10 % label, a wide group, everything).
    const k = this.rng.weighted<Kind>([
      ['ns-one', 30],
      ['app-ns', 24],
      ['app-team', 10],
      ['one-pod', 8],
      ['team', 2],
      ['pci', 1],
      ['tenth', 2],
      ['tier-env', 2],
      ['group', 6],
      ['prod', 0.5],
      ['everything', 0.5],
    ]);
    switch (k) {
      case 'ns-one': {
        const n = this.ns();
        return { entry: { namespaceSelector: nsNamed(n) }, width: 'namespace', wl: this.wl(n), tag: n.ns.name };
      }
      case 'app-ns': {
        const n = this.ns();
        const pick = this.app(n);
        return { entry: { podSelector: pick.sel, namespaceSelector: nsNamed(n) }, width: pick.width, wl: pick.wl, tag: pick.tag };
      }
      case 'app-team': {
        const team = this.team();
        const n = this.rng.pick(this.ix.byTeam.get(team)!);
        const wl = this.wl(n);
        return { entry: { podSelector: labels({ app: wl.w.app }), namespaceSelector: labels({ team }) }, width: 'namespace', wl, tag: `${team}-${wl.w.app}` };
      }
      case 'one-pod': {
        const n = this.ns();
        const pick = this.onePod(n);
        return { entry: { podSelector: pick.sel, namespaceSelector: nsNamed(n) }, width: pick.width, wl: pick.wl, tag: pick.tag };
      }
      case 'team': {
        const team = this.team();
        return { entry: { namespaceSelector: labels({ team }) }, width: 'label', wl: undefined, tag: team };
      }
      case 'pci':
        return { entry: { namespaceSelector: labels({ pci: 'true' }) }, width: 'label', wl: undefined, tag: 'pci' };
      case 'tenth': {
        const { sel, tag } = this.tenthLabel();
        return { entry: { podSelector: sel }, width: 'label', wl: undefined, tag };
      }
      case 'tier-env': {
        const { sel, tag } = this.tenthLabel();
        const env = this.rng.pick(['prod', 'staging', 'dev']);
        return { entry: { podSelector: sel, namespaceSelector: labels({ env }) }, width: 'label', wl: undefined, tag: `${env}-${tag}` };
      }
      case 'group': {
        const g = this.rng.pick(this.groups.filter((x) => x.pods));
        return { entry: { group: g.name }, width: g.width, wl: undefined, tag: g.name.replace(/^cg-/, '') };
      }
      case 'prod':
        return {
          entry: { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] } },
          width: 'all',
          wl: undefined,
          tag: 'prod',
        };
      case 'everything':
        return { entry: this.rng.chance(0.5) ? { podSelector: {} } : { namespaceSelector: {} }, width: 'all', wl: undefined, tag: 'cluster' };
    }
  }

  acnp(i: number, width: number): KubeDoc {
    const tier = this.rng.weighted<string>([
      ['emergency', 10],
      ['securityops', 25],
      ['platform', 20],
      ['application', 25],
      ['baseline', 20],
    ]);
    const baseline = tier === 'baseline';
    const used = new Set<string>();
    const spec: Doc = { tier, priority: this.priority(baseline) };
    let { ingress, egress } = this.directions();
    let tag: string;
    if (this.rng.chance(0.1)) {
      // Each rule says what it applies to.
      tag = 'per-rule';
      const perRule = () => this.clusterAppliedTo();
      if (ingress > 0) spec['ingress'] = this.antreaRules('ingress', ingress, undefined, { width: 'pod', wl: undefined }, 'acnp', baseline, used, perRule);
      if (egress > 0) spec['egress'] = this.antreaRules('egress', egress, undefined, { width: 'pod', wl: undefined }, 'acnp', baseline, used, perRule);
    } else {
      const at = this.clusterAppliedTo();
      tag = at.tag;
      spec['appliedTo'] = [at.entry];
      // Baseline policies are mostly "same Namespace in, the rest out".
      if (baseline && this.rng.chance(0.5)) {
        ingress = Math.max(ingress, 2);
        egress = 0;
      }
      if (ingress > 0) spec['ingress'] = this.antreaRules('ingress', ingress, undefined, at, 'acnp', baseline, used);
      if (egress > 0) spec['egress'] = this.antreaRules('egress', egress, undefined, at, 'acnp', baseline, used);
    }
    return {
      apiVersion: 'crd.antrea.io/v1beta1',
      kind: 'ClusterNetworkPolicy',
      metadata: { name: `acnp-${tier}-${tag}-${pad(i, width)}`.slice(0, 253), uid: uid(this.rng) },
      spec,
    };
  }
}

/** The `mixed` profile: ClusterGroups first, then the policies kind by kind, as `kubectl get -o yaml` lists them. */
export function mixedPolicyDocs(cluster: SyntheticCluster, count: number, rng: Rng): KubeDoc[] {
  const ix = new Index(cluster);
  if (ix.namespaces.length === 0) throw new Error('policies need at least one Pod to select');
  const k8s = Math.round(count * 0.5);
  const annp = Math.round(count * 0.3);
  const acnp = count - k8s - annp;
  const width = Math.max(4, String(count).length);
  const gen = new MixedPolicies(ix, rng);
  const out: KubeDoc[] = [...gen.buildGroups(Math.max(6, Math.round(acnp / 25)))];
  for (let i = 0; i < k8s; i++) out.push(gen.k8s(i, width));
  for (let i = 0; i < annp; i++) out.push(gen.annp(i, width));
  for (let i = 0; i < acnp; i++) out.push(gen.acnp(i, width));
  return out;
}

/**
 * The `antrea-controller` profile: per Namespace (in order, again from the first with a suffix if `count` asks for
 * more) `default-deny-all` and `np-1` / `np-2`, each isolating one app in both directions and admitting that app's
 * own Pods, as Antrea's controller benchmark builds them. Expects the two-workload Namespaces `buildCluster` makes
 * for this profile.
 */
export function antreaControllerPolicyDocs(cluster: SyntheticCluster, count: number, rng: Rng): KubeDoc[] {
  const ix = new Index(cluster);
  if (ix.namespaces.length === 0) throw new Error('policies need at least one Pod to select');
  const out: KubeDoc[] = [];
  for (let round = 0; out.length < count; round++) {
    const suffix = round === 0 ? '' : `-${round}`;
    for (const n of ix.namespaces) {
      if (out.length >= count) break;
      const doc = (name: string, spec: Doc): KubeDoc => ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `${name}${suffix}`, namespace: n.ns.name, uid: uid(rng) },
        spec,
      });
      out.push(doc('default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
      for (let k = 0; k < 2 && out.length < count; k++) {
        const app = n.workloads[Math.min(k, n.workloads.length - 1)]!.w.app;
        out.push(
          doc(`np-${k + 1}`, {
            podSelector: labels({ app }),
            policyTypes: ['Ingress', 'Egress'],
            ingress: [{ from: [{ podSelector: labels({ app }) }] }],
          }),
        );
      }
    }
  }
  return out;
}
