/**
 * antrea-agent.conf: the fields dpc reads (cmd/antrea-agent/options.go in Antrea names the defaults).
 * Unknown fields are allowed: the same file configures much more of the agent than the dataplane.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Open } from './common.js';

export const AgentConfigSchema = Type.Object(
  {
    featureGates: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Boolean()), Type.Null()])),
    ovsBridge: Type.Optional(Type.String({ minLength: 1, maxLength: 15 })),
    hostGateway: Type.Optional(Type.String({ minLength: 1, maxLength: 15 })),
    trafficEncapMode: Type.Optional(
      Type.Union([
        Type.Literal('encap'),
        Type.Literal('noEncap'),
        Type.Literal('hybrid'),
        Type.Literal('networkPolicyOnly'),
      ]),
    ),
    tunnelType: Type.Optional(
      Type.Union([Type.Literal('geneve'), Type.Literal('vxlan'), Type.Literal('gre'), Type.Literal('stt')]),
    ),
    tunnelPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    serviceCIDR: Type.Optional(Type.String()),
    serviceCIDRv6: Type.Optional(Type.String()),
    packetInRate: Type.Optional(Type.Integer({ minimum: 1 })),
    snatFullyRandomPorts: Type.Optional(Type.Boolean()),
    transportInterface: Type.Optional(Type.String()),
    antreaProxy: Type.Optional(
      Type.Object(
        {
          enable: Type.Optional(Type.Boolean()),
          proxyAll: Type.Optional(Type.Boolean()),
          defaultLoadBalancerMode: Type.Optional(Type.Union([Type.Literal('nat'), Type.Literal('dsr')])),
        },
        Open,
      ),
    ),
    egress: Type.Optional(
      Type.Object(
        {
          exceptCIDRs: Type.Optional(Type.Array(Type.String())),
          maxEgressIPsPerNode: Type.Optional(Type.Integer({ minimum: 0 })),
          snatFullyRandomPorts: Type.Optional(Type.Boolean()),
          uniqueMACForSubInterfaces: Type.Optional(Type.Boolean()),
        },
        Open,
      ),
    ),
    multicast: Type.Optional(Type.Object({ enable: Type.Optional(Type.Boolean()) }, Open)),
    // Older top-level spellings, read only where the flowExporter.* key is empty.
    flowCollectorAddr: Type.Optional(Type.String()),
    flowPollInterval: Type.Optional(Type.String()),
    activeFlowExportTimeout: Type.Optional(Type.String()),
    idleFlowExportTimeout: Type.Optional(Type.String()),
    flowExporter: Type.Optional(
      Type.Object(
        {
          enable: Type.Optional(Type.Boolean()),
          flowCollectorAddr: Type.Optional(Type.String()),
          flowPollInterval: Type.Optional(Type.String()),
          activeFlowExportTimeout: Type.Optional(Type.String()),
          idleFlowExportTimeout: Type.Optional(Type.String()),
          protocolFilter: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
        },
        Open,
      ),
    ),
  },
  Open,
);
export type AgentConfig = Static<typeof AgentConfigSchema>;

/** Top-level keys that mark a document without apiVersion/kind as a standalone antrea-agent.conf. */
export const AGENT_CONFIG_KEYS = [
  'featureGates',
  'ovsBridge',
  'hostGateway',
  'trafficEncapMode',
  'tunnelType',
  'antreaProxy',
  'egress',
  'flowExporter',
  'serviceCIDR',
] as const;
