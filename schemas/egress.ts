/**
 * crd.antrea.io/v1beta1 Egress and ExternalIPPool (Antrea's build/charts/antrea/crds/egress.yaml and
 * externalippool.yaml). Types and required fields are enforced here; the CRDs' `oneOf`s and IP formats, and the
 * webhooks' checks, are rules in compiler/ingest/rules/ (egress*, ipPool*), so each message names its field.
 */
import { Type, type Static } from '@sinclair/typebox';
import { KubeObject, Open } from './common.js';
import { LabelSelector } from './networkPolicy.js';

const Condition = Type.Object(
  {
    type: Type.Optional(Type.String()),
    status: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    lastTransitionTime: Type.Optional(Type.String()),
  },
  Open,
);

/** Metadata Antrea's scheduler reads: it orders Egresses by creation time, then name. */
const WithCreation = Type.Object(
  { metadata: Type.Object({ creationTimestamp: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, Open) },
  Open,
);

export const EgressSchema = KubeObject(
  'crd.antrea.io/v1beta1',
  'Egress',
  Type.Intersect([
    WithCreation,
    Type.Object(
      {
        spec: Type.Object(
          {
            appliedTo: Type.Object(
              { podSelector: Type.Optional(LabelSelector), namespaceSelector: Type.Optional(LabelSelector) },
              Open,
            ),
            egressIP: Type.Optional(Type.String()),
            egressIPs: Type.Optional(Type.Array(Type.String())),
            externalIPPool: Type.Optional(Type.String()),
            externalIPPools: Type.Optional(Type.Array(Type.String())),
            bandwidth: Type.Optional(Type.Object({ rate: Type.String(), burst: Type.String() }, Open)),
          },
          Open,
        ),
        status: Type.Optional(
          Type.Object(
            {
              egressNode: Type.Optional(Type.String()),
              egressIP: Type.Optional(Type.String()),
              conditions: Type.Optional(Type.Array(Condition)),
            },
            Open,
          ),
        ),
      },
      Open,
    ),
  ]),
);
export type EgressObject = Static<typeof EgressSchema>;

export const IPRangeSchema = Type.Object(
  { cidr: Type.Optional(Type.String()), start: Type.Optional(Type.String()), end: Type.Optional(Type.String()) },
  Open,
);
export type IPRange = Static<typeof IPRangeSchema>;

export const ExternalIPPoolSchema = KubeObject(
  'crd.antrea.io/v1beta1',
  'ExternalIPPool',
  Type.Intersect([
    WithCreation,
    Type.Object(
      {
        spec: Type.Object(
          {
            ipRanges: Type.Array(IPRangeSchema),
            subnetInfo: Type.Optional(
              Type.Object(
                {
                  gateway: Type.String(),
                  prefixLength: Type.Integer({ minimum: 1, maximum: 127 }),
                  vlan: Type.Optional(Type.Integer({ minimum: 0, maximum: 4094 })),
                },
                Open,
              ),
            ),
            nodeSelector: LabelSelector,
          },
          Open,
        ),
        status: Type.Optional(
          Type.Object(
            { usage: Type.Optional(Type.Object({ total: Type.Optional(Type.Integer()), used: Type.Optional(Type.Integer()) }, Open)) },
            Open,
          ),
        ),
      },
      Open,
    ),
  ]),
);
export type ExternalIPPoolObject = Static<typeof ExternalIPPoolSchema>;
