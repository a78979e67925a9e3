/**
 * crd.antrea.io/v1alpha2 TrafficControl, in both shapes dpc reads: the released one (`targetPort`/`returnPort`,
 * Antrea's CRD build/charts/antrea/crds/trafficcontrol.yaml) and the earlier proposal's (`destination`, from the
 * TrafficControl proposal in Antrea's issue tracker: a destination `name`, `port {internal, peerName}` or a
 * vxlan/geneve/gre/erspan tunnel with one `tunnelID`). Types, enums and ranges are the CRD's; what a JSON Schema cannot
 * say readably (exactly one port kind, which shape an object uses, remote IP syntax) is the rule
 * compiler/ingest/rules/trafficControlShape.ts, which names the exact field.
 */
import { Type, type Static } from '@sinclair/typebox';
import { KubeObject, Open } from './common.js';
import { LabelSelector } from './networkPolicy.js';

const Int32 = Type.Integer({ minimum: -2147483648, maximum: 2147483647 });
const Vni = Type.Integer({ minimum: 0, maximum: 16777215 });
const UdpPort = Type.Integer({ minimum: 1, maximum: 65535 });
const GreKey = Type.Integer({ minimum: 0, maximum: 4294967295 });
const SessionId = Type.Integer({ minimum: 0, maximum: 1023 });
const ErspanVersion = Type.Union([Type.Literal(1), Type.Literal(2)]);
const ErspanDir = Type.Union([Type.Literal(0), Type.Literal(1)]);

/**
 * A port named by the input becomes a Linux network device (an internal port) or must be one (a device): the
 * kernel's rules for device names. The CRD does not check them; the agent would fail to create the port.
 */
const DeviceName = Type.String({
  pattern: '^(?!\\.{1,2}$)[^\\s/:]{1,15}$',
  description: 'a network device name (1 to 15 characters, no whitespace, "/" or ":", not "." or "..")',
});
const Named = Type.Object({ name: DeviceName }, Open);
const UdpTunnel = Type.Object(
  { remoteIP: Type.String(), vni: Type.Optional(Vni), destinationPort: Type.Optional(UdpPort) },
  Open,
);
const GreTunnel = Type.Object({ remoteIP: Type.String(), key: Type.Optional(GreKey) }, Open);
/** ERSPAN's settings; the session ID is `sessionID` in the released shape and `tunnelID` in the proposal's. */
const erspanFields = {
  remoteIP: Type.String(),
  version: ErspanVersion,
  index: Type.Optional(Int32),
  dir: Type.Optional(ErspanDir),
  hardwareID: Type.Optional(Int32),
};
const ErspanTunnel = Type.Object({ ...erspanFields, sessionID: Type.Optional(SessionId) }, Open);

/** `targetPort` and `returnPort` (the rule allows no erspan in a returnPort, as the CRD does not). */
export const TrafficControlPort = Type.Object(
  {
    ovsInternal: Type.Optional(Named),
    device: Type.Optional(Named),
    geneve: Type.Optional(UdpTunnel),
    vxlan: Type.Optional(UdpTunnel),
    gre: Type.Optional(GreTunnel),
    erspan: Type.Optional(ErspanTunnel),
  },
  Open,
);
export type TrafficControlPort = Static<typeof TrafficControlPort>;

/** The proposal's tunnel: one `tunnelID` stands for the VNI, the GRE key or the ERSPAN session. */
const ProposalTunnel = Type.Object({ remoteIP: Type.String(), tunnelID: Type.Optional(GreKey) }, Open);
const ProposalErspan = Type.Object({ ...erspanFields, tunnelID: Type.Optional(SessionId) }, Open);

/** The proposal's `destination`: its `name` is the OVS port name, whatever the kind. */
export const TrafficDestination = Type.Object(
  {
    name: DeviceName,
    port: Type.Optional(Type.Object({ internal: Type.Optional(Type.Boolean()), peerName: Type.Optional(DeviceName) }, Open)),
    vxlan: Type.Optional(ProposalTunnel),
    geneve: Type.Optional(ProposalTunnel),
    gre: Type.Optional(ProposalTunnel),
    erspan: Type.Optional(ProposalErspan),
  },
  Open,
);
export type TrafficDestination = Static<typeof TrafficDestination>;

export const TrafficControlDirection = Type.Union([Type.Literal('Ingress'), Type.Literal('Egress'), Type.Literal('Both')]);
export const TrafficControlAction = Type.Union([Type.Literal('Mirror'), Type.Literal('Redirect')]);

export const TrafficControlSchema = KubeObject(
  'crd.antrea.io/v1alpha2',
  'TrafficControl',
  Type.Object(
    {
      spec: Type.Object(
        {
          appliedTo: Type.Object({ podSelector: Type.Optional(LabelSelector), namespaceSelector: Type.Optional(LabelSelector) }, Open),
          direction: TrafficControlDirection,
          action: TrafficControlAction,
          // Which of these an object must have depends on its shape: rule trafficControlShape.
          targetPort: Type.Optional(TrafficControlPort),
          returnPort: Type.Optional(TrafficControlPort),
          destination: Type.Optional(TrafficDestination),
        },
        Open,
      ),
    },
    Open,
  ),
);
export type TrafficControlObject = Static<typeof TrafficControlSchema>;
