import { describe, expect, test } from 'vitest';
import { normalizeAgentConfig } from '../model/config.js';
import { computeTableMap } from './pipeline.js';
import type { AgentConfig } from '../../schemas/agentConfig.js';

function idsFor(conf: AgentConfig): Record<string, number> {
  const { config } = normalizeAgentConfig([{ obj: conf, loc: { file: 'x', doc: 0, path: [] } }]);
  return Object.fromEntries(computeTableMap(config.features).tables.map((t) => [t.name, t.id]));
}

describe('table IDs are dense and follow the enabled features (docs/reference/ovs-pipeline.md §1.3)', () => {
  test("Antrea's default Linux IPv4 agent", () => {
    expect(idsFor({})).toEqual({
      PipelineRootClassifier: 0, ARPSpoofGuard: 1, ARPResponder: 2, Classifier: 3, SpoofGuard: 4, UnSNAT: 5,
      ConntrackZone: 6, ConntrackState: 7, PreRoutingClassifier: 8, SessionAffinity: 9, ServiceLB: 10, EndpointDNAT: 11,
      AntreaPolicyEgressRule: 12, EgressRule: 13, EgressDefaultRule: 14, EgressMetric: 15, L3Forwarding: 16,
      EgressMark: 17, L3DecTTL: 18, SNATMark: 19, SNAT: 20, L2ForwardingCalc: 21, IngressSecurityClassifier: 22,
      AntreaPolicyIngressRule: 23, IngressRule: 24, IngressDefaultRule: 25, IngressMetric: 26, ConntrackCommit: 27,
      Output: 28,
    });
  });

  test('TrafficControl inserts its table after L2ForwardingCalc and shifts the rest', () => {
    const ids = idsFor({ featureGates: { TrafficControl: true } });
    expect(ids['TrafficControl']).toBe(22);
    expect(ids['Output']).toBe(29);
  });

  test('proxyAll adds NodePortMark at 9', () => {
    const ids = idsFor({ antreaProxy: { proxyAll: true } });
    expect(ids['NodePortMark']).toBe(9);
    expect(ids['SessionAffinity']).toBe(10);
  });

  test('EgressTrafficShaping puts EgressQoS right after EgressMark', () => {
    const ids = idsFor({ featureGates: { EgressTrafficShaping: true } });
    expect(ids['EgressQoS']).toBe(ids['EgressMark']! + 1);
  });

  test('Egress and AntreaPolicy off remove their tables; AntreaProxy off brings DNAT', () => {
    const ids = idsFor({ featureGates: { Egress: false, AntreaPolicy: false }, antreaProxy: { enable: false } });
    expect(ids).not.toHaveProperty('EgressMark');
    expect(ids).not.toHaveProperty('AntreaPolicyEgressRule');
    expect(ids).not.toHaveProperty('ServiceLB');
    expect(ids['DNAT']).toBe(7);
    expect(ids['EgressRule']).toBe(8);
  });

  test('the multicast pipeline comes after the IP pipeline', () => {
    const ids = idsFor({ multicast: { enable: true } });
    expect(ids['PipelineIPClassifier']).toBe(5);
    expect(ids['MulticastEgressRule']).toBe(ids['Output']! + 1);
  });
});
