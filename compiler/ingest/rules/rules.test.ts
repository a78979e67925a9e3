/**
 * One failing and one passing input (at least) for every rule of the registry. A failing input lists exactly the
 * diagnostics it must produce — code, object, field, and the marked line the position resolves to; a passing input
 * produces no policy diagnostic at all.
 */
import { describe, expect, it } from 'vitest';
import { POLICY_RULES } from './index.js';
import { EGRESS_CASES } from './egressRules.cases.js';
import { agentConfig, digest, expectedDigest, run, sortDigests, type Expected } from './testHarness.js';

interface Fail {
  title: string;
  yaml: string;
  previous?: string;
  expect: Expected[];
}
interface Case {
  fail: Fail[];
  pass: { title: string; yaml: string; previous?: string }[];
}

const join = (...docs: string[]) => docs.join('---\n');

const API = 'apiVersion: crd.antrea.io/v1beta1';
/** An ACNP; `spec` lines are indented by two spaces. */
const acnp = (name: string, spec: string) => `${API}\nkind: ClusterNetworkPolicy\nmetadata: {name: ${name}}\nspec:\n${spec}`;
const annp = (ns: string, name: string, spec: string) =>
  `${API}\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}`;
const knp = (ns: string, name: string, spec: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}`;
const tier = (name: string, priority: number, mark = '') => `${API}\nkind: Tier\nmetadata: {name: ${name}}\nspec: {priority: ${priority}}${mark}\n`;
const cg = (name: string, spec: string) => `${API}\nkind: ClusterGroup\nmetadata: {name: ${name}}\nspec:\n${spec}`;
const grp = (ns: string, name: string, spec: string) => `${API}\nkind: Group\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}`;

/** A minimal valid ACNP body (applies to every Pod, allows from every Pod). */
const SIMPLE = `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - {action: Allow, from: [{podSelector: {}}]}
`;

const CNP = 'ClusterNetworkPolicy';

const CASES: Record<string, Case> = {
  policyObjectsUnique: {
    fail: [
      {
        title: 'two Tiers with one name: both copies refused',
        yaml: join(tier('t1', 10, ' #!a'), tier('t1', 11, ' #!b')),
        expect: [
          // Both point at the object itself: the document's first line.
          { code: 'DPC1166', kind: 'Tier', name: 't1', at: 'first' },
          { code: 'DPC1166', kind: 'Tier', name: 't1', at: 'second' },
        ],
      },
    ],
    pass: [
      {
        title: 'a Kubernetes and an Antrea NetworkPolicy may share a name',
        yaml: join(
          knp('x', 'same', '  podSelector: {}\n'),
          annp('x', 'same', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Drop}]\n'),
        ),
      },
    ],
  },
  unknownSpecFields: {
    fail: [
      {
        title: 'a misspelt peer field is named (warning)',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Allow
    from:
    - podSelecter: {} #!
`),
        expect: [{ code: 'DPC1169', kind: CNP, name: 'p', field: 'spec.ingress[0].from[0].podSelecter', severity: 'warning' }],
      },
    ],
    pass: [{ title: 'known fields only', yaml: acnp('p', SIMPLE) }],
  },
  protocolEntriesSingle: {
    fail: [
      {
        title: 'a protocols entry with neither icmp nor igmp',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Drop
    protocols:
    - {} #!
`),
        expect: [{ code: 'DPC1167', kind: CNP, name: 'p', field: 'spec.ingress[0].protocols[0]' }],
      },
    ],
    pass: [
      {
        title: 'one icmp entry',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Drop
    protocols: [{icmp: {icmpType: 8, icmpCode: 0}}]
`),
      },
    ],
  },
  crdFieldPlacement: {
    fail: [
      {
        title: 'nodeSelector in a rule-level appliedTo',
        yaml: acnp('p', `  priority: 1
  ingress:
  - action: Drop
    appliedTo:
    - nodeSelector: {} #!
`),
        expect: [{ code: 'DPC1129', kind: CNP, name: 'p', field: 'spec.ingress[0].appliedTo[0].nodeSelector' }],
      },
      {
        title: 'namespaceSelector in an ANNP appliedTo',
        yaml: annp('x', 'a', `  priority: 1
  appliedTo:
  - namespaceSelector: {} #!
  ingress: [{action: Drop}]
`),
        expect: [{ code: 'DPC1129', kind: 'NetworkPolicy', namespace: 'x', name: 'a', field: 'spec.appliedTo[0].namespaceSelector' }],
      },
      {
        title: '`to` in an ingress rule',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Drop
    to: [] #!
`),
        expect: [{ code: 'DPC1129', kind: CNP, name: 'p', field: 'spec.ingress[0].to' }],
      },
      {
        title: 'an ACNP toServices entry without namespace',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - action: Drop
    toServices:
    - {name: svc} #!
`),
        expect: [{ code: 'DPC1130', kind: CNP, name: 'p', field: 'spec.egress[0].toServices[0].namespace' }],
      },
    ],
    pass: [
      {
        title: 'nodeSelector in spec.appliedTo and in a peer',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{nodeSelector: {}}]
  ingress:
  - {action: Drop, from: [{nodeSelector: {}}]}
`),
      },
    ],
  },
  tierPriorityReserved: {
    fail: [
      { title: 'priority 251', yaml: tier('t1', 251, ' #!'), expect: [{ code: 'DPC1100', kind: 'Tier', name: 't1', field: 'spec.priority' }] },
      {
        title: 'a system Tier with another priority',
        yaml: tier('application', 100, ' #!'),
        expect: [{ code: 'DPC1102', kind: 'Tier', name: 'application', field: 'spec.priority' }],
      },
      {
        title: 'priority 220 while the upstream ClusterNetworkPolicy gate is on',
        yaml: join(agentConfig({ ClusterNetworkPolicy: true }), tier('t1', 220, ' #!')),
        expect: [{ code: 'DPC1101', kind: 'Tier', name: 't1', field: 'spec.priority' }],
      },
    ],
    pass: [
      { title: 'priority 220 without the gate, and a system Tier as Antrea has it', yaml: join(tier('t1', 220), tier('application', 250)) },
      {
        title: 'priority 220 that existed before the gate',
        yaml: join(agentConfig({ ClusterNetworkPolicy: true }), tier('t1', 220)),
        previous: tier('t1', 220),
      },
    ],
  },
  tierPriorityImmutable: {
    fail: [
      {
        title: 'an update changes the priority',
        previous: tier('t1', 21),
        yaml: tier('t1', 31, ' #!'),
        expect: [{ code: 'DPC1103', kind: 'Tier', name: 't1', field: 'spec.priority' }],
      },
    ],
    pass: [{ title: 'an update keeps the priority', previous: tier('t1', 21), yaml: tier('t1', 21) }],
  },
  tierPriorityUnique: {
    fail: [
      {
        title: 'two new Tiers at one priority: both refused',
        yaml: join(tier('t1', 20, ' #!a'), tier('t2', 20, ' #!b')),
        expect: [
          { code: 'DPC1104', kind: 'Tier', name: 't1', field: 'spec.priority', at: 'a' },
          { code: 'DPC1104', kind: 'Tier', name: 't2', field: 'spec.priority', at: 'b' },
        ],
      },
      {
        title: 'the Tier the previous snapshot held keeps the priority',
        previous: tier('t1', 20),
        yaml: join(tier('t1', 20), tier('t0', 20, ' #!')),
        expect: [{ code: 'DPC1104', kind: 'Tier', name: 't0', field: 'spec.priority' }],
      },
      {
        title: "a system Tier's priority",
        yaml: tier('mine', 250, ' #!'),
        expect: [{ code: 'DPC1104', kind: 'Tier', name: 'mine', field: 'spec.priority' }],
      },
    ],
    pass: [{ title: 'distinct priorities', yaml: join(tier('t1', 20), tier('t2', 21)) }],
  },
  tierCountLimit: {
    fail: [
      {
        title: '15 custom Tiers: the one with the highest priority is one too many',
        yaml: join(...Array.from({ length: 15 }, (_, i) => tier(`t${i + 1}`, i + 1, i === 14 ? ' #!' : ''))),
        // The object itself: the document's first line.
        expect: [{ code: 'DPC1105', kind: 'Tier', name: 't15', at: 'doc' }],
      },
    ],
    pass: [{ title: '14 custom Tiers', yaml: join(...Array.from({ length: 14 }, (_, i) => tier(`t${i + 1}`, i + 1))) }],
  },
  tierDeletionUnreferenced: {
    fail: [
      {
        title: 'a Tier deleted while a policy still uses it',
        previous: join(tier('t1', 20), acnp('p', `  tier: t1\n${SIMPLE}`)),
        yaml: acnp('p', `  tier: t1 #!\n${SIMPLE}`),
        expect: [
          { code: 'DPC1106', kind: 'Tier', name: 't1' },
          { code: 'DPC1107', kind: CNP, name: 'p', field: 'spec.tier' },
        ],
      },
    ],
    pass: [{ title: 'a Tier deleted with its policies', previous: join(tier('t1', 20), acnp('p', `  tier: t1\n${SIMPLE}`)), yaml: acnp('q', SIMPLE) }],
  },
  groupSelectorsExclusive: {
    fail: [
      {
        title: 'podSelector and serviceReference',
        yaml: cg('g', `  podSelector: {}
  serviceReference: {name: s, namespace: x} #!
`),
        expect: [{ code: 'DPC1200', kind: 'ClusterGroup', name: 'g', field: 'spec.serviceReference' }],
      },
      {
        title: 'a Group with nodeSelector',
        yaml: grp('x', 'g', `  nodeSelector: {} #!
`),
        expect: [{ code: 'DPC1129', kind: 'Group', namespace: 'x', name: 'g', field: 'spec.nodeSelector' }],
      },
    ],
    pass: [
      { title: 'namespaceSelector with podSelector', yaml: cg('g', '  namespaceSelector: {}\n  podSelector: {}\n') },
      { title: 'a ClusterGroup of Nodes', yaml: cg('g', '  nodeSelector: {matchLabels: {kubernetes.io/hostname: node-1}}\n') },
    ],
  },
  labelSelectorsValid: {
    fail: [
      {
        title: 'bad keys, values and expression shapes',
        yaml: acnp('p', `  priority: 1
  appliedTo:
  - podSelector:
      matchLabels: {"bad key": a} #!a
  ingress:
  - action: Drop
    from:
    - namespaceSelector:
        matchLabels: {app: "-x"} #!b
    - podSelector:
        matchExpressions:
        - {key: app, operator: In} #!c
        - {key: app, operator: Exists, values: [a]} #!d
`),
        expect: [
          { code: 'DPC1131', kind: CNP, name: 'p', field: 'spec.appliedTo[0].podSelector.matchLabels.bad key', at: 'a' },
          { code: 'DPC1132', kind: CNP, name: 'p', field: 'spec.ingress[0].from[0].namespaceSelector.matchLabels.app', at: 'b' },
          // A missing field points at its closest existing parent: the requirement.
          { code: 'DPC1133', kind: CNP, name: 'p', field: 'spec.ingress[0].from[1].podSelector.matchExpressions[0].values', at: 'c' },
          { code: 'DPC1134', kind: CNP, name: 'p', field: 'spec.ingress[0].from[1].podSelector.matchExpressions[1].values', at: 'd' },
        ],
      },
      {
        title: 'a Kubernetes NetworkPolicy podSelector key',
        yaml: knp('x', 'k', `  podSelector:
    matchLabels: {a/b/c: v} #!
`),
        expect: [{ code: 'DPC1131', kind: 'NetworkPolicy', namespace: 'x', name: 'k', field: 'spec.podSelector.matchLabels.a/b/c' }],
      },
    ],
    pass: [
      {
        title: 'prefixed keys, empty values, every operator',
        yaml: knp('x', 'k', `  podSelector:
    matchLabels: {kubernetes.io/metadata.name: x, temp: ""}
    matchExpressions:
    - {key: a, operator: NotIn, values: [b]}
    - {key: c, operator: DoesNotExist}
`),
      },
    ],
  },
  ipBlocksValid: {
    fail: [
      {
        title: 'bad cidr, bad except, except outside or not narrower',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - action: Drop
    to:
    - ipBlock: {cidr: 10.0.0.0/33} #!a
    - ipBlock:
        cidr: 10.0.0.0/8
        except:
        - 11.0.0.0/16 #!b
        - 10.0.0.0/8 #!c
        - nope #!d
    - ipBlock: {cidr: ""} #!e
`),
        expect: [
          { code: 'DPC1138', kind: CNP, name: 'p', field: 'spec.egress[0].to[0].ipBlock.cidr', at: 'a' },
          { code: 'DPC1140', kind: CNP, name: 'p', field: 'spec.egress[0].to[1].ipBlock.except[0]', at: 'b' },
          { code: 'DPC1140', kind: CNP, name: 'p', field: 'spec.egress[0].to[1].ipBlock.except[1]', at: 'c' },
          { code: 'DPC1139', kind: CNP, name: 'p', field: 'spec.egress[0].to[1].ipBlock.except[2]', at: 'd' },
          { code: 'DPC1137', kind: CNP, name: 'p', field: 'spec.egress[0].to[2].ipBlock.cidr', at: 'e' },
        ],
      },
      {
        title: 'a ClusterGroup ipBlock and a Kubernetes one',
        yaml: join(
          cg('g', '  ipBlocks:\n  - {cidr: 10.0.0.1} #!a\n'),
          knp('x', 'k', '  ingress:\n  - from:\n    - ipBlock: {cidr: "2001:db8::/32", except: ["10.0.0.0/8"]} #!b\n'),
        ),
        expect: [
          { code: 'DPC1138', kind: 'ClusterGroup', name: 'g', field: 'spec.ipBlocks[0].cidr', at: 'a' },
          { code: 'DPC1140', kind: 'NetworkPolicy', namespace: 'x', name: 'k', field: 'spec.ingress[0].from[0].ipBlock.except[0]', at: 'b' },
        ],
      },
    ],
    pass: [
      {
        title: 'except strictly inside, host bits allowed, IPv6',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - action: Drop
    to:
    - ipBlock: {cidr: 10.1.2.3/8, except: [10.1.0.0/16, 10.2.3.4/32]}
    - ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8::/64"]}
`),
      },
    ],
  },
  groupIpBlocksNotMixed: {
    fail: [
      {
        title: 'multicast and unicast ipBlocks',
        yaml: cg('g', `  ipBlocks: #!
  - {cidr: 224.0.0.0/24}
  - {cidr: 10.0.0.0/8}
`),
        expect: [{ code: 'DPC1201', kind: 'ClusterGroup', name: 'g', field: 'spec.ipBlocks', at: 'seq' }],
      },
    ],
    pass: [{ title: 'unicast only', yaml: cg('g', '  ipBlocks: [{cidr: 10.0.0.0/8}, {cidr: 192.168.0.0/16}]\n') }],
  },
  childGroupNotSelf: {
    fail: [
      {
        title: 'a ClusterGroup lists itself',
        yaml: cg('g', `  childGroups:
  - g #!
`),
        expect: [{ code: 'DPC1202', kind: 'ClusterGroup', name: 'g', field: 'spec.childGroups[0]' }],
      },
    ],
    pass: [{ title: 'lists another', yaml: join(cg('g', '  childGroups: [h]\n'), cg('h', '  podSelector: {}\n')) }],
  },
  childGroupsOneLevel: {
    fail: [
      {
        title: 'a → b → c, all new: the middle group is refused',
        yaml: join(cg('a', '  childGroups: [b]\n'), cg('b', '  childGroups: [c] #!\n'), cg('c', '  podSelector: {}\n')),
        expect: [{ code: 'DPC1203', kind: 'ClusterGroup', name: 'b', field: 'spec.childGroups' }],
      },
      {
        title: 'b → c held before, a → b new: the new parent is refused',
        previous: join(grp('x', 'b', '  childGroups: [c]\n'), grp('x', 'c', '  podSelector: {}\n')),
        yaml: join(
          grp('x', 'a', '  childGroups:\n  - b #!\n'),
          grp('x', 'b', '  childGroups: [c]\n'),
          grp('x', 'c', '  podSelector: {}\n'),
        ),
        expect: [{ code: 'DPC1204', kind: 'Group', namespace: 'x', name: 'a', field: 'spec.childGroups[0]' }],
      },
    ],
    pass: [
      {
        title: 'one level',
        yaml: join(cg('a', '  childGroups: [b, c]\n'), cg('b', '  podSelector: {}\n'), cg('c', '  podSelector: {}\n')),
      },
    ],
  },
  childGroupsExist: {
    fail: [
      {
        title: 'a missing child is only a warning',
        yaml: grp('x', 'a', `  childGroups:
  - nope #!
`),
        expect: [{ code: 'DPC1205', kind: 'Group', namespace: 'x', name: 'a', field: 'spec.childGroups[0]', severity: 'warning' }],
      },
    ],
    pass: [{ title: 'the child exists in the same Namespace', yaml: join(grp('x', 'a', '  childGroups: [b]\n'), grp('x', 'b', '  podSelector: {}\n')) }],
  },
  policyTierExists: {
    fail: [
      {
        title: 'an unknown Tier',
        yaml: acnp('p', `  tier: nope #!\n${SIMPLE}`),
        expect: [{ code: 'DPC1107', kind: CNP, name: 'p', field: 'spec.tier' }],
      },
      {
        title: 'a refused Tier does not exist for policies',
        yaml: join(tier('t1', 252, ' #!t'), annp('x', 'a', `  tier: t1 #!\n  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Drop}]\n`)),
        expect: [
          { code: 'DPC1100', kind: 'Tier', name: 't1', field: 'spec.priority', at: 't' },
          { code: 'DPC1107', kind: 'NetworkPolicy', namespace: 'x', name: 'a', field: 'spec.tier' },
        ],
      },
    ],
    pass: [
      {
        title: 'system Tiers by either spelling, and a Tier of the snapshot',
        yaml: join(acnp('p1', `  tier: Emergency\n${SIMPLE}`), acnp('p2', `  tier: securityops\n${SIMPLE}`), tier('t1', 20), acnp('p3', `  tier: t1\n${SIMPLE}`)),
      },
    ],
  },
  passNotInBaselineTier: {
    fail: [
      {
        title: 'Pass in the baseline Tier',
        yaml: acnp('p', `  tier: baseline
  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - action: Drop
  - action: Pass #!
`),
        expect: [{ code: 'DPC1120', kind: CNP, name: 'p', field: 'spec.egress[1].action' }],
      },
    ],
    pass: [
      { title: 'Pass elsewhere', yaml: acnp('p', '  tier: securityops\n  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Pass}]\n') },
    ],
  },
  ruleNamesUnique: {
    fail: [
      {
        title: 'one name for an ingress and an egress rule',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress: [{action: Drop, name: r}]
  egress:
  - action: Drop
    name: r #!
`),
        expect: [{ code: 'DPC1121', kind: CNP, name: 'p', field: 'spec.egress[0].name' }],
      },
      {
        title: 'two identical unnamed rules',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - {action: Drop, ports: [{port: 80}]}
  - {ports: [{port: 80}], action: Drop} #!
`),
        expect: [{ code: 'DPC1122', kind: CNP, name: 'p', field: 'spec.ingress[1]' }],
      },
    ],
    pass: [
      {
        title: 'identical unnamed rules in different directions',
        yaml: acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Drop}]\n  egress: [{action: Drop}]\n'),
      },
    ],
  },
  appliedToInSpecOrRules: {
    fail: [
      {
        title: 'in spec and in a rule',
        yaml: annp('x', 'a', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Allow
    appliedTo: [{podSelector: {}}] #!
`),
        expect: [{ code: 'DPC1123', kind: 'NetworkPolicy', namespace: 'x', name: 'a', field: 'spec.ingress[0].appliedTo' }],
      },
      {
        title: 'nowhere',
        yaml: acnp('p', `  priority: 1 #!
  ingress: [{action: Drop}]
`),
        // spec.appliedTo is missing: the position is its closest parent, spec, whose block starts here.
        expect: [{ code: 'DPC1124', kind: CNP, name: 'p', field: 'spec.appliedTo' }],
      },
      {
        title: 'on some rules only',
        yaml: acnp('p', `  priority: 1
  ingress:
  - {action: Drop, appliedTo: [{podSelector: {}}]}
  - {action: Drop} #!
`),
        expect: [{ code: 'DPC1125', kind: CNP, name: 'p', field: 'spec.ingress[1]' }],
      },
    ],
    pass: [
      {
        title: 'on every rule',
        yaml: acnp('p', '  priority: 1\n  ingress: [{action: Drop, appliedTo: [{podSelector: {}}]}]\n  egress: [{action: Drop, appliedTo: [{podSelector: {}}]}]\n'),
      },
    ],
  },
  appliedToExclusive: {
    fail: [
      {
        title: 'group with a selector',
        yaml: join(
          cg('g', '  podSelector: {}\n'),
          acnp('p', `  priority: 1
  appliedTo:
  - {group: g, podSelector: {}} #!
  ingress: [{action: Drop}]
`),
        ),
        expect: [{ code: 'DPC1126', kind: CNP, name: 'p', field: 'spec.appliedTo[0]' }],
      },
    ],
    pass: [
      {
        title: 'podSelector with namespaceSelector, group alone',
        yaml: join(
          cg('g', '  podSelector: {}\n'),
          acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}, namespaceSelector: {}}, {group: g}]\n  ingress: [{action: Drop}]\n'),
        ),
      },
    ],
  },
  appliedToServicesIngressOnly: {
    fail: [
      {
        title: 'a Service with egress rules, and beside other entries',
        yaml: acnp('p', `  priority: 1
  appliedTo: #!b
  - service: {name: s, namespace: x} #!a
  - podSelector: {}
  egress: [{action: Drop}]
`),
        expect: [
          { code: 'DPC1127', kind: CNP, name: 'p', field: 'spec.appliedTo[0].service', at: 'a' },
          { code: 'DPC1128', kind: CNP, name: 'p', field: 'spec.appliedTo', at: 'a' },
        ],
      },
    ],
    pass: [
      {
        title: 'Services with an ingress ipBlock rule',
        yaml: acnp('p', '  priority: 1\n  appliedTo: [{service: {name: s, namespace: x}}]\n  ingress: [{action: Drop, from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]\n'),
      },
    ],
  },
  peerNamespacesValid: {
    fail: [
      {
        title: 'with namespaceSelector; no criterion; two criteria; a bad sameLabels key',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Drop
    from:
    - namespaces: {match: Self} #!a
      namespaceSelector: {}
    - namespaces: {} #!b
    - namespaces: {match: Self, sameLabels: [env]} #!c
    - namespaces:
        sameLabels: ["-bad"] #!d
`),
        expect: [
          { code: 'DPC1135', kind: CNP, name: 'p', field: 'spec.ingress[0].from[0].namespaces', at: 'a' },
          { code: 'DPC1136', kind: CNP, name: 'p', field: 'spec.ingress[0].from[1].namespaces', at: 'b' },
          { code: 'DPC1136', kind: CNP, name: 'p', field: 'spec.ingress[0].from[2].namespaces', at: 'c' },
          { code: 'DPC1131', kind: CNP, name: 'p', field: 'spec.ingress[0].from[3].namespaces.sameLabels[0]', at: 'd' },
        ],
      },
    ],
    pass: [
      {
        title: 'match Self, sameLabels',
        yaml: acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Drop, from: [{namespaces: {match: Self}}, {namespaces: {sameLabels: [env, tier]}}]}]\n'),
      },
    ],
  },
  peerExclusive: {
    fail: [
      {
        title: 'serviceAccount with a selector',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Drop
    from:
    - {serviceAccount: {name: sa, namespace: x}, podSelector: {}} #!
`),
        expect: [{ code: 'DPC1141', kind: CNP, name: 'p', field: 'spec.ingress[0].from[0]' }],
      },
    ],
    pass: [
      {
        title: 'each alone',
        yaml: acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Drop, from: [{serviceAccount: {name: sa, namespace: x}}, {nodeSelector: {}}]}]\n'),
      },
    ],
  },
  toServicesAlone: {
    fail: [
      {
        title: 'toServices with ports',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - action: Drop
    toServices: [{name: s, namespace: x}]
    ports: [{port: 80}] #!
`),
        expect: [{ code: 'DPC1142', kind: CNP, name: 'p', field: 'spec.egress[0].ports' }],
      },
    ],
    pass: [
      { title: 'toServices alone', yaml: acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  egress: [{action: Drop, toServices: [{name: s, namespace: x}]}]\n') },
    ],
  },
  serviceAppliedToIpBlockPeers: {
    fail: [
      {
        title: 'a Service-applied rule selects Pods',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{service: {name: s, namespace: x}}]
  ingress:
  - action: Drop
    from:
    - podSelector: {} #!
`),
        expect: [{ code: 'DPC1143', kind: CNP, name: 'p', field: 'spec.ingress[0].from[0]' }],
      },
    ],
    pass: [
      {
        title: 'ipBlock sources',
        yaml: acnp('p', '  priority: 1\n  ingress: [{action: Drop, appliedTo: [{service: {name: s, namespace: x}}], from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]\n'),
      },
    ],
  },
  fqdnCharacters: {
    fail: [
      {
        title: 'an underscore',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - action: Drop
    to:
    - fqdn: a_b.example.com #!
`),
        expect: [{ code: 'DPC1144', kind: CNP, name: 'p', field: 'spec.egress[0].to[0].fqdn' }],
      },
    ],
    pass: [{ title: 'a wildcard', yaml: acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  egress: [{action: Drop, to: [{fqdn: "*.example.com"}]}]\n') }],
  },
  multicastEgress: {
    fail: [
      {
        title: 'Reject toward multicast, mixed with unicast, with a selector',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - action: Reject #!a
    to: #!b
    - ipBlock: {cidr: 224.0.0.1/32}
      podSelector: {}
    - ipBlock: {cidr: 10.0.0.0/8}
`),
        expect: [
          { code: 'DPC1145', kind: CNP, name: 'p', field: 'spec.egress[0].action', at: 'a' },
          { code: 'DPC1146', kind: CNP, name: 'p', field: 'spec.egress[0].to', at: 'seq' },
          { code: 'DPC1147', kind: CNP, name: 'p', field: 'spec.egress[0].to', at: 'seq' },
        ],
      },
    ],
    pass: [{ title: 'Drop toward multicast', yaml: acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  egress: [{action: Drop, to: [{ipBlock: {cidr: 224.0.0.0/24}}]}]\n') }],
  },
  igmpProtocolValid: {
    fail: [
      {
        title: 'unicast group, Reject, with ports, bad address',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - action: Reject #!b
    ports: [{port: 80}] #!c
    protocols:
    - igmp: {igmpType: 0x16, groupAddress: 10.0.0.1} #!a
    - igmp: {groupAddress: nope} #!d
`),
        expect: [
          { code: 'DPC1148', kind: CNP, name: 'p', field: 'spec.egress[0].protocols[0].igmp.groupAddress', at: 'a' },
          { code: 'DPC1168', kind: CNP, name: 'p', field: 'spec.egress[0].protocols[1].igmp.groupAddress', at: 'd' },
          { code: 'DPC1149', kind: CNP, name: 'p', field: 'spec.egress[0].action', at: 'b' },
          { code: 'DPC1150', kind: CNP, name: 'p', field: 'spec.egress[0].ports', at: 'c' },
        ],
      },
    ],
    pass: [
      {
        title: 'an IGMP query rule',
        yaml: acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Drop, protocols: [{igmp: {igmpType: 0x11, groupAddress: 224.0.0.1}}]}]\n'),
      },
    ],
  },
  l7ProtocolsValid: {
    fail: [
      {
        title: 'without the gate',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Allow
    l7Protocols: [{http: {}}] #!
`),
        expect: [{ code: 'DPC1151', kind: CNP, name: 'p', field: 'spec.ingress[0].l7Protocols' }],
      },
      {
        title: 'Drop, a UDP port, ICMP',
        yaml: join(
          agentConfig({ L7NetworkPolicy: true }),
          acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Drop #!a
    l7Protocols: [{http: {method: GET}}]
    ports: [{protocol: UDP, port: 53}] #!b
    protocols:
    - icmp: {} #!c
`),
        ),
        expect: [
          { code: 'DPC1152', kind: CNP, name: 'p', field: 'spec.ingress[0].action', at: 'a' },
          { code: 'DPC1154', kind: CNP, name: 'p', field: 'spec.ingress[0].ports[0].protocol', at: 'b' },
          { code: 'DPC1155', kind: CNP, name: 'p', field: 'spec.ingress[0].protocols[0]', at: 'c' },
        ],
      },
      {
        title: 'with toServices',
        yaml: join(
          agentConfig({ L7NetworkPolicy: true }),
          acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  egress:
  - action: Allow
    l7Protocols: [{tls: {sni: example.com}}]
    toServices: [{name: s, namespace: x}] #!
`),
        ),
        expect: [{ code: 'DPC1153', kind: CNP, name: 'p', field: 'spec.egress[0].toServices' }],
      },
    ],
    pass: [
      {
        title: 'HTTP over TCP, gate on',
        yaml: join(
          agentConfig({ L7NetworkPolicy: true }),
          acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Allow, l7Protocols: [{http: {path: /api}}], ports: [{protocol: TCP, port: 8080}]}]\n'),
        ),
      },
    ],
  },
  portRangesOrdered: {
    fail: [
      {
        title: 'every malformed range',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{podSelector: {}}]
  ingress:
  - action: Drop
    ports:
    - {endPort: 90} #!a
    - {port: http, endPort: 90} #!b
    - {port: 90, endPort: 80} #!c
    - {sourceEndPort: 90} #!d
    - {sourcePort: 90, sourceEndPort: 80} #!e
`),
        expect: [
          { code: 'DPC1156', kind: CNP, name: 'p', field: 'spec.ingress[0].ports[0].endPort', at: 'a' },
          { code: 'DPC1157', kind: CNP, name: 'p', field: 'spec.ingress[0].ports[1].endPort', at: 'b' },
          { code: 'DPC1158', kind: CNP, name: 'p', field: 'spec.ingress[0].ports[2].endPort', at: 'c' },
          { code: 'DPC1159', kind: CNP, name: 'p', field: 'spec.ingress[0].ports[3].sourceEndPort', at: 'd' },
          { code: 'DPC1160', kind: CNP, name: 'p', field: 'spec.ingress[0].ports[4].sourceEndPort', at: 'e' },
        ],
      },
      {
        title: 'a Kubernetes NetworkPolicy endPort below port',
        yaml: knp('x', 'k', `  egress:
  - ports:
    - {port: 90, endPort: 80} #!
`),
        expect: [{ code: 'DPC1158', kind: 'NetworkPolicy', namespace: 'x', name: 'k', field: 'spec.egress[0].ports[0].endPort' }],
      },
    ],
    pass: [
      {
        title: 'well-formed ranges',
        yaml: acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress: [{action: Drop, ports: [{port: 80, endPort: 80}, {protocol: UDP, sourcePort: 32768, sourceEndPort: 60999}]}]\n'),
      },
    ],
  },
  portNumbersInRange: {
    fail: [
      {
        title: 'above 65535 and zero',
        yaml: join(
          acnp('p', '  priority: 1\n  appliedTo: [{podSelector: {}}]\n  ingress:\n  - action: Drop\n    ports:\n    - {port: 70000} #!a\n'),
          knp('x', 'k', '  ingress:\n  - ports:\n    - {port: 0} #!b\n'),
        ),
        expect: [
          { code: 'DPC1161', kind: CNP, name: 'p', field: 'spec.ingress[0].ports[0].port', at: 'a' },
          { code: 'DPC1161', kind: 'NetworkPolicy', namespace: 'x', name: 'k', field: 'spec.ingress[0].ports[0].port', at: 'b' },
        ],
      },
    ],
    pass: [{ title: 'the ends of the range', yaml: knp('x', 'k', '  ingress: [{ports: [{port: 1, endPort: 65535}]}]\n') }],
  },
  nodePolicyLogLabel: {
    fail: [
      {
        title: 'a 13-character label on a logged Node rule',
        yaml: acnp('p', `  priority: 1
  appliedTo: [{nodeSelector: {}}]
  ingress:
  - action: Drop
    enableLogging: true
    logLabel: abcdefghijklm #!
`),
        expect: [{ code: 'DPC1162', kind: CNP, name: 'p', field: 'spec.ingress[0].logLabel', severity: 'warning' }],
      },
    ],
    pass: [
      {
        title: '12 characters, or logging off',
        yaml: acnp('p', '  priority: 1\n  appliedTo: [{nodeSelector: {}}]\n  ingress: [{action: Drop, enableLogging: true, logLabel: abcdefghijkl}, {action: Allow, logLabel: abcdefghijklmnop}]\n'),
      },
    ],
  },
  nodePolicyLimits: {
    fail: [
      {
        title: 'Nodes and Pods together; an FQDN peer',
        yaml: acnp('p', `  priority: 1
  appliedTo:
  - nodeSelector: {}
  - podSelector: {} #!a
  egress:
  - action: Drop
    to:
    - fqdn: example.com #!b
`),
        expect: [
          { code: 'DPC1163', kind: CNP, name: 'p', field: 'spec.appliedTo[1]', at: 'a' },
          { code: 'DPC1164', kind: CNP, name: 'p', field: 'spec.egress[0].to[0].fqdn', at: 'b' },
        ],
      },
    ],
    pass: [{ title: 'a Node policy', yaml: acnp('p', '  priority: 1\n  appliedTo: [{nodeSelector: {}}]\n  egress: [{action: Drop, to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]\n') }],
  },
  groupReferencesExist: {
    fail: [
      {
        title: 'a missing ClusterGroup; a Group of another Namespace; a refused ClusterGroup',
        yaml: join(
          grp('y', 'g', '  podSelector: {}\n'),
          cg('bad', '  podSelector: {}\n  ipBlocks: [{cidr: 10.0.0.0/8}] #!c\n'),
          acnp('p', `  priority: 1
  appliedTo:
  - group: nope #!a
  ingress:
  - action: Drop
    from:
    - group: bad #!d
`),
          annp('x', 'a', `  priority: 1
  appliedTo:
  - group: g #!b
  ingress: [{action: Drop}]
`),
        ),
        expect: [
          { code: 'DPC1165', kind: CNP, name: 'p', field: 'spec.appliedTo[0].group', at: 'a', severity: 'warning' },
          { code: 'DPC1165', kind: 'NetworkPolicy', namespace: 'x', name: 'a', field: 'spec.appliedTo[0].group', at: 'b', severity: 'warning' },
          { code: 'DPC1200', kind: 'ClusterGroup', name: 'bad', field: 'spec.ipBlocks', at: 'c' },
          { code: 'DPC1165', kind: CNP, name: 'p', field: 'spec.ingress[0].from[0].group', at: 'd', severity: 'warning' },
        ],
      },
    ],
    pass: [
      {
        title: 'a ClusterGroup for the ACNP, a Group of its Namespace for the ANNP',
        yaml: join(
          cg('c', '  podSelector: {}\n'),
          grp('x', 'g', '  podSelector: {}\n'),
          acnp('p', '  priority: 1\n  appliedTo: [{group: c}]\n  ingress: [{action: Drop, from: [{group: c}]}]\n'),
          annp('x', 'a', '  priority: 1\n  appliedTo: [{group: g}]\n  ingress: [{action: Drop, from: [{group: g}]}]\n'),
        ),
      },
    ],
  },
  k8sPeerShape: {
    fail: [
      {
        title: 'an empty peer; ipBlock with a selector',
        yaml: knp('x', 'k', `  ingress:
  - from:
    - {} #!a
    - {ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}} #!b
`),
        expect: [
          { code: 'DPC1180', kind: 'NetworkPolicy', namespace: 'x', name: 'k', field: 'spec.ingress[0].from[0]', at: 'a' },
          { code: 'DPC1181', kind: 'NetworkPolicy', namespace: 'x', name: 'k', field: 'spec.ingress[0].from[1]', at: 'b' },
        ],
      },
    ],
    pass: [
      {
        title: 'selectors together, ipBlock alone',
        yaml: knp('x', 'k', '  egress: [{to: [{podSelector: {}, namespaceSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8}}]}]\n'),
      },
    ],
  },
  k8sPortNamesValid: {
    fail: [
      {
        title: 'an uppercase port name',
        yaml: knp('x', 'k', `  ingress:
  - ports:
    - {port: HTTP} #!
`),
        expect: [{ code: 'DPC1182', kind: 'NetworkPolicy', namespace: 'x', name: 'k', field: 'spec.ingress[0].ports[0].port' }],
      },
    ],
    pass: [{ title: 'serve-80-tcp', yaml: knp('x', 'k', '  ingress: [{ports: [{port: serve-80-tcp}]}]\n') }],
  },
  ...EGRESS_CASES,
};

/** Markers that are not written in the input: the line a diagnostic points at by rule of the position resolver. */
function resolveMarkers(yaml: string, markers: Map<string, number>, expect: Expected[]): Map<string, number> {
  const out = new Map(markers);
  const lines = yaml.split('\n');
  for (const e of expect) {
    const at = e.at ?? '';
    if (out.has(at)) continue;
    if (at === 'first' || at === 'doc' || at === 'second') {
      // The object itself: the first line of its document.
      const starts = [0, ...lines.flatMap((l, i) => (l === '---' ? [i + 1] : []))];
      const mark = at === 'second' ? markers.get('b') : at === 'first' ? markers.get('a') : markers.get('');
      const line = mark ?? 1;
      const start = starts.filter((s) => s < line).pop() ?? 0;
      out.set(at, start + 1);
    } else if (at === 'seq') {
      // A block sequence starts on the line after its key (the key's line carries the marker).
      const key = [...markers.entries()].find(([, l]) => /:\s*#!\w*\s*$/.test(lines[l - 1] ?? ''))?.[1];
      if (key !== undefined) out.set(at, key + 1);
    }
  }
  return out;
}

describe('policy rules', () => {
  for (const [rule, c] of Object.entries(CASES)) {
    describe(rule, () => {
      for (const f of c.fail) {
        it(`refuses: ${f.title}`, () => {
          const r = run(f.yaml, f.previous);
          const markers = resolveMarkers(f.yaml, r.markers, f.expect);
          expect(sortDigests(r.diagnostics.map(digest))).toEqual(sortDigests(f.expect.map((e) => expectedDigest(e, markers))));
          for (const d of r.diagnostics) {
            expect(d.pos?.file).toBe('input.yaml');
            expect(d.pos!.col).toBeGreaterThan(0);
          }
        });
      }
      for (const p of c.pass) {
        it(`accepts: ${p.title}`, () => {
          const r = run(p.yaml, p.previous);
          expect(r.diagnostics.map((d) => `${d.code} ${d.field ?? ''}: ${d.message}`)).toEqual([]);
        });
      }
    });
  }

  it('covers every rule of the registry with a failing and a passing input', () => {
    for (const rule of POLICY_RULES) {
      expect(CASES[rule.name]?.fail.length ?? 0, rule.name).toBeGreaterThan(0);
      expect(CASES[rule.name]?.pass.length ?? 0, rule.name).toBeGreaterThan(0);
    }
    expect(Object.keys(CASES).sort()).toEqual(POLICY_RULES.map((r) => r.name).sort());
  });
});
