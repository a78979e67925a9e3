/**
 * The Egress Node's host side on a real kernel: the bundle's ipset, nat rules, jump and `ip -batch` routes are
 * loaded into a network namespace standing for the Node, and real TCP connections from Pod namespaces reach a
 * server namespace that reports the source address it saw. OVS's part — setting the SNAT mark on the packets it
 * hands to the gateway — is proven on real OVS in egressTunnel.test.ts; here one mangle rule on the gateway plays
 * it for the selected Pod, since a userspace OVS datapath cannot pass a mark to the kernel.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { compile } from '../compiler/compile.js';
import { bundleFile } from './harness/bundle.js';
import { createNetns, HAVE_NETNS, loadHostArtifacts, netnsUnavailable, type Netns } from './harness/netns.js';
import { clusterSources } from './fixtures/clusters.js';

const EGRESS = `apiVersion: crd.antrea.io/v1beta1
kind: ExternalIPPool
metadata: {name: pool}
spec:
  ipRanges: [{cidr: 169.254.100.0/30}]
  nodeSelector: {matchLabels: {kubernetes.io/hostname: node-1}}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: web}
spec:
  appliedTo: {podSelector: {matchLabels: {app: web}}}
  externalIPPool: pool
`;
const SERVER_IP = '203.0.113.10';
const UPLINK_IP = '203.0.113.1';

function bundle() {
  const r = compile([
    ...clusterSources({
      nodes: [
        { name: 'node-1', podCIDR: '10.10.1.0/24', internalIP: '192.168.77.101' },
        { name: 'node-2', podCIDR: '10.10.2.0/24', internalIP: '192.168.77.102' },
      ],
      pods: [
        { namespace: 'x', name: 'web', node: 'node-1', ip: '10.10.1.3', labels: { app: 'web' } },
        { namespace: 'x', name: 'other', node: 'node-1', ip: '10.10.1.4', labels: { app: 'other' } },
      ],
    }),
    { name: 'egress.yaml', text: EGRESS },
  ]);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.bundles.find((b) => b.node === 'node-1')!;
}

const unavailable = netnsUnavailable();
describe.skipIf(!HAVE_NETNS && !process.env.CI)(`Egress SNAT on the Egress Node's kernel${unavailable ? ` (${unavailable})` : ''}`, () => {
  const made: Netns[] = [];
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) if (p.pid) process.kill(p.pid);
    made.forEach((n) => n.delete());
  });

  it('a selected Pod arrives from the Egress IP, an unselected one from the Node (masquerade)', async () => {
    const b = bundle();
    const routes = bundleFile(b, 'net/routes.txt');
    expect(routes).toBe('link add antrea-egress0 type dummy\nlink set antrea-egress0 up\naddress add 169.254.100.1/32 dev antrea-egress0\n');
    const mark = /--mark (0x[0-9a-f]+)\/0xff/.exec(bundleFile(b, 'iptables/ipv4.rules'))![1]!;

    const node = createNetns('node');
    const server = createNetns('srv');
    made.push(node, server);
    const pods = (['web', 'other'] as const).map((name, i) => {
      const ns = createNetns(`pod${i}`);
      made.push(ns);
      return { name, ns, ip: `10.10.1.${3 + i}`, hostEnd: `veth-${name}` };
    });
    // The gateway: the host end of the Pods' links (a bridge named as Antrea's gateway, holding the gateway IP).
    node.exec('ip', ['link', 'add', 'antrea-gw0', 'type', 'bridge']);
    node.exec('ip', ['addr', 'add', '10.10.1.1/24', 'dev', 'antrea-gw0']);
    node.exec('ip', ['link', 'set', 'antrea-gw0', 'up']);
    for (const p of pods) {
      p.ns.exec('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', p.hostEnd, 'netns', node.name]);
      p.ns.exec('ip', ['addr', 'add', `${p.ip}/24`, 'dev', 'eth0']);
      p.ns.exec('ip', ['link', 'set', 'eth0', 'up']);
      p.ns.exec('ip', ['route', 'add', 'default', 'via', '10.10.1.1']);
      node.exec('ip', ['link', 'set', p.hostEnd, 'master', 'antrea-gw0', 'up']);
    }
    // The uplink toward the outside server, which treats every address as on-link (reference README `snat`).
    node.exec('ip', ['link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', server.name]);
    node.exec('ip', ['addr', 'add', `${UPLINK_IP}/24`, 'dev', 'uplink']);
    node.exec('ip', ['link', 'set', 'uplink', 'up']);
    server.exec('ip', ['addr', 'add', `${SERVER_IP}/24`, 'dev', 'eth0']);
    server.exec('ip', ['link', 'set', 'eth0', 'up']);
    server.exec('ip', ['route', 'add', 'default', 'dev', 'eth0']);
    node.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    node.exec('sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=0']);

    loadHostArtifacts(node, {
      ipsets: bundleFile(b, 'ipset/ipsets.txt'),
      ipv4: bundleFile(b, 'iptables/ipv4.rules'),
      jumps: bundleFile(b, 'iptables/jumps.txt'),
    });
    // This kernel has no dummy driver; a bridge device stands in for antrea-egress0 (both just hold the address).
    const hasDummy = node.run('ip', ['link', 'add', 'dpc-probe0', 'type', 'dummy']).status === 0;
    node.exec('ip', ['-batch', '-'], hasDummy ? routes : routes.replace('type dummy', 'type bridge'));
    // Stand-in for OVS's EgressMark flow of the selected Pod.
    node.exec('iptables', ['-t', 'mangle', '-A', 'PREROUTING', '-i', 'antrea-gw0', '-s', pods[0]!.ip, '-j', 'MARK', '--set-xmark', `${mark}/0xff`]);

    const srv = spawn('ip', ['netns', 'exec', server.name, process.execPath, '-e',
      `require('net').createServer((s) => s.end(s.remoteAddress)).listen(8080, '${SERVER_IP}', () => console.log('ready'))`]);
    procs.push(srv);
    await new Promise<void>((resolve, reject) => {
      srv.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      srv.on('exit', (c) => reject(new Error(`server exited ${c}`)));
    });
    const sourceSeen = (p: (typeof pods)[number]) =>
      p.ns.exec(process.execPath, ['-e',
        `const s = require('net').connect(8080, '${SERVER_IP}'); let d = ''; s.on('data', (x) => (d += x)); s.on('end', () => console.log(d)); s.on('error', (e) => { console.error(e.message); process.exit(1); });`]).trim();
    expect(sourceSeen(pods[0]!)).toBe('169.254.100.1');
    expect(sourceSeen(pods[1]!)).toBe(UPLINK_IP);
    // The rule that did it counted the connection.
    expect(node.exec('iptables', ['-t', 'nat', '-L', 'ANTREA-POSTROUTING', '-v', '-n', '-x']).split('\n').find((l) => l.includes('SNAT'))).toMatch(/^\s*[1-9]\d*\s/);
  });
});
