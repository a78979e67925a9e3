import { describe, expect, test } from 'vitest';
import { normalizeAgentConfig } from './config.js';
import { parseCollectorAddr, parseGoDuration } from './flowExporterConfig.js';

const load = (conf: Record<string, unknown>) => normalizeAgentConfig([{ obj: conf, loc: { file: 'antrea-agent.conf', doc: 0, path: [] } }]);
const gateOn = { featureGates: { FlowExporter: true } };

describe('flowExporter.* agent settings (docs/reference/iptables-egress.md §5.2)', () => {
  test('Go durations', () => {
    expect(parseGoDuration('1s')).toBe(1000);
    expect(parseGoDuration('1.5m')).toBe(90_000);
    expect(parseGoDuration('1h2m3s')).toBe(3_723_000);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('10us')).toBe(0.01);
    expect(parseGoDuration('0')).toBe(0);
    for (const bad of ['', '5', 's', '1x', '1s2', '.s', '--1s']) expect(parseGoDuration(bad), bad).toBeUndefined();
  });
  test('collector addresses as ParseFlowCollectorAddr splits them', () => {
    expect(parseCollectorAddr('10.0.0.1:4739:udp')).toEqual({ host: '10.0.0.1', port: 4739, proto: 'udp' });
    expect(parseCollectorAddr('10.0.0.1::tcp')).toEqual({ host: '10.0.0.1', port: 4739, proto: 'tcp' });
    expect(parseCollectorAddr('collector.example:9995')).toEqual({ host: 'collector.example', port: 9995, proto: 'tls' });
    expect(parseCollectorAddr('ns/svc')).toEqual({ host: 'ns/svc', port: 4739, proto: 'tls' });
    expect(parseCollectorAddr('[fd00::1]:4739:tcp')).toEqual({ host: 'fd00::1', port: 4739, proto: 'tcp' });
    expect(parseCollectorAddr('10.0.0.1:4739:sctp')).toBe('connection over sctp transport proto is not supported');
    expect(parseCollectorAddr('fd00::1')).toBe('connection over 1 transport proto is not supported');
    expect(parseCollectorAddr('fd00::1:2')).toBe('flow collector address is given in invalid format');
    expect(typeof parseCollectorAddr('10.0.0.1:')).toBe('string');
    expect(typeof parseCollectorAddr('10.0.0.1:70000:tcp')).toBe('string');
  });
  test("Antrea's defaults today (poll 5s, active 5s, idle 15s, stale 5m; the aggregator over TLS)", () => {
    const { config, diagnostics } = load({ ...gateOn, flowExporter: { enable: true } });
    expect(config.features.flowExporter).toBe(true);
    expect(config.flowExporter).toEqual({
      denyTracking: true,
      enabled: true,
      collector: { host: 'flow-aggregator/flow-aggregator', port: 4739, proto: 'tls' },
      pollIntervalMs: 5000,
      activeTimeoutMs: 5000,
      idleTimeoutMs: 15000,
      staleTimeoutMs: 300_000,
      protocols: ['tcp', 'udp', 'sctp'],
    });
    // TLS needs the aggregator's certificates, which dpc's exporter does not have: said, not refused.
    expect(diagnostics.map((d) => d.code)).toEqual(['DPC3402']);
  });
  test('the gate alone tracks denies; enable without the gate does nothing', () => {
    expect(load(gateOn).config.flowExporter).toMatchObject({ denyTracking: true, enabled: false });
    expect(load({ flowExporter: { enable: true } }).config.flowExporter).toMatchObject({ denyTracking: false, enabled: false });
    expect(load({ flowExporter: { enable: true } }).config.features.flowExporter).toBe(false);
  });
  test('timeouts below the poll interval are raised to it; long timeouts stretch the stale timeout', () => {
    const { config } = load({ ...gateOn, flowExporter: { enable: true, flowCollectorAddr: '127.0.0.1:4739:tcp', flowPollInterval: '2s', activeFlowExportTimeout: '1s', idleFlowExportTimeout: '10m' } });
    expect(config.flowExporter).toMatchObject({ pollIntervalMs: 2000, activeTimeoutMs: 2000, idleTimeoutMs: 600_000, staleTimeoutMs: 1_200_000 });
  });
  test('the older top-level keys count only where flowExporter.* is empty', () => {
    const { config } = load({ ...gateOn, flowCollectorAddr: '10.1.1.1:1:udp', flowPollInterval: '3s', flowExporter: { enable: true, flowPollInterval: '4s' } });
    expect(config.flowExporter.collector).toEqual({ host: '10.1.1.1', port: 1, proto: 'udp' });
    expect(config.flowExporter.pollIntervalMs).toBe(4000);
  });
  test('protocolFilter keeps the protocols it names', () => {
    expect(load({ ...gateOn, flowExporter: { protocolFilter: ['TCP', 'icmp'] } }).config.flowExporter.protocols).toEqual(['tcp']);
  });
  test('what antrea-agent refuses to start with is an error at its position', () => {
    const { diagnostics } = load({ ...gateOn, flowExporter: { enable: true, flowCollectorAddr: '1.2.3.4:4739:quic', flowPollInterval: '500ms', idleFlowExportTimeout: 'soon' } });
    expect(diagnostics.map((d) => [d.code, d.field, d.at?.field])).toEqual([
      ['DPC3400', 'flowExporter.flowCollectorAddr', ['flowExporter', 'flowCollectorAddr']],
      ['DPC3401', 'flowExporter.flowPollInterval', ['flowExporter', 'flowPollInterval']],
      ['DPC3401', 'flowExporter.idleFlowExportTimeout', ['flowExporter', 'idleFlowExportTimeout']],
    ]);
    expect(diagnostics.every((d) => d.severity === 'error')).toBe(true);
  });
});
