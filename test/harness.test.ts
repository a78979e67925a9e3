// Proves the dataplane test harness against a real userspace Open vSwitch and checks the packet codec.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { addUnderlay, cleanupAll, isRunning, linkUnderlay, requireOvs, startOvs, type Ovs, type Underlay } from './harness/ovs.js';
import {
  arp,
  encodePcap,
  ethernet,
  ETH_TYPE,
  frame,
  geneveFrame,
  greFrame,
  icmpEcho,
  internetChecksum,
  ipv4,
  IP_PROTO,
  parseFrame,
  readPcap,
  tcpPacket,
  udpPacket,
  vxlanFrame,
} from './harness/packets.js';

const ovsAvailable = requireOvs();

afterAll(cleanupAll);

const POD_A = { mac: '02:00:0a:00:00:03', ip: '10.10.0.3' };
const POD_B = { mac: '02:00:0a:00:01:04', ip: '10.10.1.4' };

function synFrame(): Buffer {
  return frame({
    srcMac: POD_A.mac,
    dstMac: POD_B.mac,
    srcIp: POD_A.ip,
    dstIp: POD_B.ip,
    proto: 'tcp',
    srcPort: 40000,
    dstPort: 80,
    ttl: 63,
  });
}

describe('packets', () => {
  test('TCP frame round-trips with valid checksums', () => {
    const buf = synFrame();
    const p = parseFrame(buf);
    expect(p).toMatchObject({ srcMac: POD_A.mac, dstMac: POD_B.mac, ethType: ETH_TYPE.ipv4 });
    expect(p.ipv4).toMatchObject({ src: POD_A.ip, dst: POD_B.ip, ttl: 63, proto: IP_PROTO.tcp, checksumOk: true });
    expect(p.tcp).toMatchObject({ srcPort: 40000, dstPort: 80, flags: 'S', checksumOk: true });
    // Re-summing a header that holds its own correct checksum gives 0.
    expect(internetChecksum(buf.subarray(14, 34))).toBe(0);
    const corrupted = Buffer.from(buf);
    corrupted[buf.length - 1] = 0xff; // urgent pointer low byte: not covered by the IP header checksum
    expect(parseFrame(corrupted).tcp?.checksumOk).toBe(false);
    expect(parseFrame(corrupted).ipv4?.checksumOk).toBe(true);
  });

  test('UDP, ICMP and ARP round-trip', () => {
    const udpBuf = ethernet({
      src: POD_A.mac,
      dst: POD_B.mac,
      type: ETH_TYPE.ipv4,
      payload: udpPacket({ srcIp: POD_A.ip, dstIp: POD_B.ip, srcPort: 5353, dstPort: 53, payload: Buffer.from('odd') }),
    });
    expect(parseFrame(udpBuf).udp).toMatchObject({ srcPort: 5353, dstPort: 53, length: 11, checksumOk: true });
    expect(parseFrame(udpBuf).udp?.payload.toString()).toBe('odd');

    const ping = parseFrame(
      ethernet({
        src: POD_A.mac,
        dst: POD_B.mac,
        type: ETH_TYPE.ipv4,
        payload: ipv4({ src: POD_A.ip, dst: POD_B.ip, proto: IP_PROTO.icmp, id: 7, payload: icmpEcho({ id: 9, seq: 2 }) }),
      }),
    );
    expect(ping.ipv4).toMatchObject({ id: 7, checksumOk: true });
    expect(ping.icmp).toMatchObject({ type: 8, code: 0, id: 9, seq: 2, checksumOk: true });

    const who = parseFrame(
      ethernet({
        src: POD_A.mac,
        dst: 'ff:ff:ff:ff:ff:ff',
        type: ETH_TYPE.arp,
        payload: arp({ op: 1, sha: POD_A.mac, spa: POD_A.ip, tpa: POD_B.ip }),
      }),
    );
    expect(who.arp).toEqual({ op: 1, sha: POD_A.mac, spa: POD_A.ip, tha: '00:00:00:00:00:00', tpa: POD_B.ip });

    const tagged = parseFrame(
      ethernet({
        src: POD_A.mac,
        dst: POD_B.mac,
        type: ETH_TYPE.ipv4,
        vlan: 100,
        payload: tcpPacket({ srcIp: POD_A.ip, dstIp: POD_B.ip, srcPort: 1, dstPort: 2, flags: 'SA' }),
      }),
    );
    expect(tagged).toMatchObject({ vlan: 100, ethType: ETH_TYPE.ipv4 });
    expect(tagged.tcp?.flags).toBe('SA');
  });

  test('tunnel encapsulations parse back to the inner frame', () => {
    const inner = synFrame();
    const outer = { outerSrcMac: '02:00:c0:a8:4d:65', outerDstMac: '02:00:c0:a8:4d:66', outerSrcIp: '192.168.77.101', outerDstIp: '192.168.77.102', inner };
    const cases = [
      { buf: geneveFrame({ ...outer, vni: 5001 }), kind: 'geneve', id: { vni: 5001 } },
      { buf: vxlanFrame({ ...outer, vni: 42 }), kind: 'vxlan', id: { vni: 42 } },
      { buf: greFrame({ ...outer, key: 7 }), kind: 'gre', id: { key: 7 } },
    ];
    for (const { buf, kind, id } of cases) {
      const p = parseFrame(buf);
      expect(p.ipv4?.checksumOk).toBe(true);
      expect(p.ipv4?.totalLength).toBe(buf.length - 14);
      expect(p.tunnel).toMatchObject({ kind, outerSrc: '192.168.77.101', outerDst: '192.168.77.102', ...id });
      expect(p.tunnel?.inner.raw.equals(inner)).toBe(true);
      if (p.udp) expect(p.udp.length).toBe(buf.length - 34);
    }
  });

  test('pcap reader handles both byte orders and timestamp resolutions, and a half-written record', () => {
    const frames = [synFrame(), frame({ srcMac: POD_A.mac, dstMac: POD_B.mac, srcIp: POD_A.ip, dstIp: POD_B.ip, proto: 'udp' })];
    const dir = mkdtempSync(join(tmpdir(), 'pcap-test-'));
    try {
      for (const bigEndian of [false, true]) {
        for (const nanoseconds of [false, true]) {
          const path = join(dir, `${bigEndian}-${nanoseconds}.pcap`);
          writeFileSync(path, encodePcap(frames, { bigEndian, nanoseconds }));
          expect(readPcap(path)).toEqual(frames);
        }
      }
      const whole = encodePcap(frames);
      const path = join(dir, 'partial.pcap');
      writeFileSync(path, whole.subarray(0, whole.length - 3));
      expect(readPcap(path)).toEqual(frames.slice(0, 1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!ovsAvailable)('Open vSwitch harness', () => {
  test('a flow forwards an injected frame from port 1 to port 2', async () => {
    const ovs = await startOvs();
    ovs.addDummyPort('p1', 1);
    const p2Pcap = ovs.addDummyPort('p2', 2);
    expect(p2Pcap).toBe(join(ovs.dir, 'p2.pcap'));
    ovs.replaceFlows('in_port=1 actions=output:2\n');
    expect(ovs.dumpFlows()).toEqual(['in_port=1 actions=output:2']);

    const sent = synFrame();
    ovs.inject('p1', sent);
    const out = ovs.sent('p2');
    expect(out).toHaveLength(1);
    expect(out[0]?.equals(sent)).toBe(true);
    const p = parseFrame(out[0] ?? Buffer.alloc(0));
    expect(p).toMatchObject({ srcMac: POD_A.mac, dstMac: POD_B.mac });
    expect(p.ipv4).toMatchObject({ src: POD_A.ip, dst: POD_B.ip, ttl: 63 });
    expect(p.tcp?.flags).toBe('S');
    expect(ovs.sent('p1')).toEqual([]);
    await ovs.stop();
  });

  test('conntrack, trace, groups, meters, a MAC on a port and raw OVSDB transactions', async () => {
    const ovs = await startOvs({ bridge: 'br-test' });
    expect(ovs.bridge).toBe('br-test');
    ovs.addDummyPort('p1', 1);
    ovs.addDummyPort('p2', 2, { mac: '02:00:00:00:aa:02' });
    expect(JSON.parse(ovs.vsctl('get', 'interface', 'p2', 'mac_in_use'))).toBe('02:00:00:00:aa:02');
    ovs.addGroups(['group_id=1,type=select,bucket=bucket_id=0,actions=output:2']);
    ovs.addMeters(['meter=1,kbps,burst,bands=type=drop,rate=800000,burst_size=2000000']);
    ovs.replaceFlows(
      [
        'table=0,priority=10,ip actions=ct(commit,zone=65520,table=1)',
        'table=1,priority=10,ct_state=+trk,ip actions=meter:1,group:1',
      ].join('\n'),
    );
    expect(ovs.dumpFlows()).toHaveLength(2);

    ovs.inject('p1', synFrame());
    expect(ovs.sent('p2')).toHaveLength(1);
    expect(ovs.conntrack()).toContain(`src=${POD_A.ip},dst=${POD_B.ip},sport=40000,dport=80`);

    const trace = ovs.trace(`in_port=1,tcp,nw_src=${POD_A.ip},nw_dst=${POD_B.ip},tp_dst=80`, ['trk,est']);
    expect(trace).toContain('ct_state=est|trk');
    expect(trace).toMatch(/Datapath actions: .*ct\(commit,zone=65520\)/);

    const [bridges] = ovs.transact([{ op: 'select', table: 'Bridge', where: [], columns: ['name'] }]) as [{ rows: { name: string }[] }];
    expect(bridges.rows.map((r) => r.name)).toEqual(['br-test']);
    expect(() => ovs.transact([{ op: 'select', table: 'NoSuchTable', where: [] }])).toThrow(/ovsdb transaction failed/);
    expect(() => ovs.vsctl('get', 'interface', 'nope', 'name')).toThrow(/ovs-vsctl .*get interface nope name: exit 1\n.*no row "nope"/);
    await ovs.stop();
  });

  describe.each(['geneve', 'vxlan', 'gre'] as const)('%s tunnel between two Nodes', (kind) => {
    interface Node {
      ovs: Ovs;
      underlay: Underlay;
    }

    async function startNode(ip: string): Promise<Node> {
      const ovs = await startOvs();
      ovs.vsctl(
        'add-port', 'br-int', 'antrea-tun0',
        '--', 'set', 'interface', 'antrea-tun0', `type=${kind}`, 'ofport_request=32768', 'options:remote_ip=flow', 'options:key=flow',
      );
      ovs.addDummyPort('pod', 3);
      return { ovs, underlay: addUnderlay(ovs, ip, 24) };
    }

    test('encapsulates on Node A and decapsulates on Node B', async () => {
      const [a, b] = await Promise.all([startNode('192.168.77.101'), startNode('192.168.77.102')]);
      linkUnderlay(a.ovs, b.underlay);
      linkUnderlay(b.ovs, a.underlay);
      a.ovs.replaceFlows('in_port=3 actions=set_field:192.168.77.102->tun_dst,output:32768');
      b.ovs.replaceFlows('in_port=32768 actions=output:3');

      const inner = synFrame();
      a.ovs.inject('pod', inner);
      const onWire = a.ovs.sent('uplink');
      expect(onWire).toHaveLength(1);
      const wire = onWire[0] ?? Buffer.alloc(0);
      const outer = parseFrame(wire);
      expect(outer).toMatchObject({ srcMac: a.underlay.mac, dstMac: b.underlay.mac });
      expect(outer.ipv4?.checksumOk).toBe(true);
      expect(outer.tunnel).toMatchObject({ kind, outerSrc: '192.168.77.101', outerDst: '192.168.77.102' });
      expect(outer.tunnel?.inner.raw.equals(inner)).toBe(true);
      expect(a.ovs.sent('pod')).toEqual([]);

      b.ovs.inject('uplink', wire);
      // A frame built by packets.ts, not by OVS, must decapsulate the same way.
      const built = { outerSrcMac: a.underlay.mac, outerDstMac: b.underlay.mac, outerSrcIp: '192.168.77.101', outerDstIp: '192.168.77.102', inner };
      b.ovs.inject('uplink', kind === 'geneve' ? geneveFrame(built) : kind === 'vxlan' ? vxlanFrame(built) : greFrame(built));
      const delivered = b.ovs.sent('pod');
      expect(delivered).toHaveLength(2);
      for (const f of delivered) expect(f.equals(inner)).toBe(true);
      expect(b.ovs.sent('uplink')).toEqual([]);

      await Promise.all([a.ovs.stop(), b.ovs.stop()]);
    });
  });

  test('stop() ends both daemons, removes the dir and can be called again', async () => {
    const ovs = await startOvs();
    const { ovsdbServer, vswitchd } = ovs.pids;
    expect(isRunning(ovsdbServer) && isRunning(vswitchd)).toBe(true);
    await ovs.stop();
    expect(isRunning(ovsdbServer)).toBe(false);
    expect(isRunning(vswitchd)).toBe(false);
    expect(existsSync(ovs.dir)).toBe(false);
    await ovs.stop();
  });
});
