import { afterEach, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANTREA, IANA, IANA_REVERSE, IPV4_TEMPLATE, type RecordValues } from './elements.js';
import { encodeDataMessage, encodeTemplateMessage, fieldValue, IpfixSession } from './message.js';
import { ExportingProcess, observationDomain } from './process.js';
import { frame } from '../../test/harness/packets.js';

const SAMPLE: RecordValues = {
  flowStartSeconds: 1_767_225_600,
  flowEndSeconds: 1_767_225_661,
  flowEndReason: 2,
  sourceTransportPort: 40000,
  destinationTransportPort: 80,
  protocolIdentifier: 6,
  packetTotalCount: 12n,
  octetTotalCount: 3456n,
  packetDeltaCount: 5n,
  octetDeltaCount: 789n,
  sourceIPv4Address: '10.10.1.5',
  destinationIPv4Address: '10.10.2.7',
  reversePacketTotalCount: 10n,
  reverseOctetTotalCount: 999n,
  sourcePodName: 'web',
  sourcePodNamespace: 'shop',
  sourceNodeName: 'node-1',
  egressNetworkPolicyName: 'x'.repeat(300),
  egressNetworkPolicyRuleAction: 1,
  flowType: 2,
  egressIP: '192.168.77.101',
};

describe('IPFIX messages (RFC 7011, as go-ipfix writes them)', () => {
  test("Antrea's template: 43 elements, 12 IANA, 4 reverse, 27 enterprise 56506", () => {
    expect(IPV4_TEMPLATE).toHaveLength(43);
    expect(IPV4_TEMPLATE.filter((e) => e.enterprise === IANA)).toHaveLength(12);
    expect(IPV4_TEMPLATE.filter((e) => e.enterprise === IANA_REVERSE)).toHaveLength(4);
    expect(IPV4_TEMPLATE.filter((e) => e.enterprise === ANTREA)).toHaveLength(27);
    expect(new Set(IPV4_TEMPLATE.map((e) => `${e.enterprise}/${e.id}`)).size).toBe(43);
  });

  test('a collector decodes the data record through the template, by enterprise and element ID', () => {
    const session = new IpfixSession();
    const h = { exportTime: 1_767_225_661, sequence: 0, domain: observationDomain('node-1') };
    expect(session.push(encodeTemplateMessage(256, IPV4_TEMPLATE, h))).toEqual([]);
    // Split mid-message: a TCP stream is decoded however it arrives.
    const data = encodeDataMessage(256, IPV4_TEMPLATE, SAMPLE, h);
    session.push(data.subarray(0, 7));
    const [r] = session.push(data.subarray(7));
    expect(r!.domain).toBe(h.domain);
    expect(r!.fields).toHaveLength(43);
    expect(fieldValue(r!, IANA, 8, 'ipv4Address')).toBe('10.10.1.5');
    expect(fieldValue(r!, IANA, 7, 'unsigned16')).toBe(40000);
    expect(fieldValue(r!, IANA, 86, 'unsigned64')).toBe(12n);
    expect(fieldValue(r!, IANA_REVERSE, 86, 'unsigned64')).toBe(10n);
    expect(fieldValue(r!, ANTREA, 101, 'string')).toBe('web');
    expect(fieldValue(r!, ANTREA, 104, 'string')).toBe('node-1');
    // Over 254 bytes a string takes 255 and a 2-byte length.
    expect(fieldValue(r!, ANTREA, 112, 'string')).toBe('x'.repeat(300));
    expect(fieldValue(r!, ANTREA, 109, 'string')).toBe('');
    expect(fieldValue(r!, ANTREA, 137, 'unsigned8')).toBe(2);
    expect(fieldValue(r!, ANTREA, 154, 'string')).toBe('192.168.77.101');
    expect(fieldValue(r!, ANTREA, 170, 'ipv4Address')).toBe('0.0.0.0');
  });

  test('a data set before its template is not decoded', () => {
    const session = new IpfixSession();
    expect(session.push(encodeDataMessage(256, IPV4_TEMPLATE, SAMPLE, { exportTime: 0, sequence: 0, domain: 7 }))).toEqual([]);
    expect([...session.unknownTemplates]).toEqual(['7/256']);
  });

  test("the observation domain is Antrea's FNV-1 hash of the Node name", () => {
    expect(observationDomain('')).toBe(0x811c9dc5);
    expect(observationDomain('a')).toBe(0x050c5d7e);
  });
});

/** A classic pcap of Ethernet frames. */
function pcap(frames: Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  return Buffer.concat([
    head,
    ...frames.flatMap((f, i) => {
      const rec = Buffer.alloc(16);
      rec.writeUInt32LE(1_767_225_600 + i, 0);
      rec.writeUInt32LE(f.length, 8);
      rec.writeUInt32LE(f.length, 12);
      return [rec, f];
    }),
  ]);
}

const HAVE_TSHARK = (() => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!HAVE_TSHARK && process.env.CI !== 'true')('a real decoder (tshark) reads what dpc exports', () => {
  test('the IANA elements of a data record, through the template', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-ipfix-'));
    try {
      const h = { exportTime: 1_767_225_661, sequence: 0, domain: observationDomain('node-1') };
      const udp = (payload: Buffer) =>
        frame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '192.168.77.101', dstIp: '192.168.77.5', proto: 'udp', srcPort: 50000, dstPort: 4739, payload });
      const file = join(dir, 'ipfix.pcap');
      writeFileSync(file, pcap([udp(encodeTemplateMessage(256, IPV4_TEMPLATE, h)), udp(encodeDataMessage(256, IPV4_TEMPLATE, SAMPLE, { ...h, sequence: 0 }))]));
      const text = execFileSync('tshark', ['-r', file, '-d', 'udp.port==4739,cflow', '-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const data = text.slice(text.indexOf('[Template Frame: 1]'));
      const line = (label: string, from = data) => new RegExp(`^\\s+${label}: (.*)$`, 'm').exec(from)?.[1];
      expect(line('Version', text)).toBe('10');
      expect(line('Observation Domain Id', text)).toBe(String(h.domain));
      expect(line('SrcAddr')).toBe('10.10.1.5');
      expect(line('DstAddr')).toBe('10.10.2.7');
      expect(line('SrcPort')).toBe('40000');
      expect(line('DstPort')).toBe('80');
      expect(line('Protocol')).toBe('TCP (6)');
      expect(line('Permanent Packets')).toBe('12');
      expect(line('Permanent Octets')).toBe('3456');
      expect(line('Packets')).toBe('5');
      expect(line('Octets')).toBe('789');
      expect(line('Flow End Reason')).toMatch(/Active timeout \(2\)/i);
      expect(data).toMatch(/Permanent Packets: 10 \(Reverse Type 86/);
      // The template as tshark read it: 43 fields, 27 of Antrea's enterprise, 4 of the reverse PEN.
      expect(line('Field Count', text)).toBe('43');
      expect((text.match(/PEN: Project Antrea \(56506\)/g) ?? []).length).toBe(27);
      expect((text.match(/PEN: IPFIX Reverse Information Element Private Enterprise \(29305\)/g) ?? []).length).toBe(4);
      expect(data).toMatch(/\(Project Antrea\) Type 101: Value \(hex bytes\): 77 65 62/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the exporting process over TCP', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });
  function collector(port = 0): Promise<{ server: Server; port: number; sessions: IpfixSession[]; sockets: Socket[] }> {
    const sessions: IpfixSession[] = [];
    const sockets: Socket[] = [];
    const server = createServer((sock) => {
      const s = new IpfixSession();
      sessions.push(s);
      sockets.push(sock);
      sock.on('data', (b: Buffer) => s.push(b));
    });
    servers.push(server);
    return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, sessions, sockets })));
  }
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cond()).toBe(true);
  };

  test('template first, then records with data-record sequence numbers; a restarted collector gets the template again', async () => {
    const c1 = await collector();
    const p = new ExportingProcess({ host: '127.0.0.1', port: c1.port, transport: 'tcp', domain: 42, templateId: 256, elements: IPV4_TEMPLATE });
    await p.connect();
    await p.send(SAMPLE);
    await p.send({ ...SAMPLE, sourceTransportPort: 40001 });
    await until(() => c1.sessions[0]?.records.length === 2);
    expect(c1.sessions[0]!.records.map((r) => [r.sequence, fieldValue(r, IANA, 7, 'unsigned16')])).toEqual([
      [0, 40000],
      [1, 40001],
    ]);
    // The collector goes away: the process notices and says so instead of writing into the void.
    c1.sockets[0]!.destroy();
    c1.server.close();
    await until(() => !p.connected);
    await expect(p.send(SAMPLE)).rejects.toThrow();
    await expect(p.connect()).rejects.toThrow();
    const c2 = await collector(c1.port);
    await p.connect();
    await p.send({ ...SAMPLE, sourceTransportPort: 40002 });
    await until(() => c2.sessions[0]?.records.length === 1);
    expect(fieldValue(c2.sessions[0]!.records[0]!, IANA, 7, 'unsigned16')).toBe(40002);
    p.close();
  });
});
