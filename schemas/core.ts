/** Core Kubernetes kinds (apiVersion v1), reduced to the fields dpc reads. */
import { Type, type Static } from '@sinclair/typebox';
import { IntOrString, KubeObject, Labels, Open, Protocol } from './common.js';

export const NodeSchema = KubeObject(
  'v1',
  'Node',
  Type.Object(
    {
      spec: Type.Optional(
        Type.Object(
          {
            podCIDR: Type.Optional(Type.String()),
            podCIDRs: Type.Optional(Type.Array(Type.String())),
          },
          Open,
        ),
      ),
      status: Type.Optional(
        Type.Object(
          {
            addresses: Type.Optional(
              Type.Array(Type.Object({ type: Type.String(), address: Type.String() }, Open)),
            ),
            conditions: Type.Optional(Type.Array(Type.Object({ type: Type.String(), status: Type.String() }, Open))),
          },
          Open,
        ),
      ),
    },
    Open,
  ),
);
export type NodeObject = Static<typeof NodeSchema>;

export const NamespaceSchema = KubeObject('v1', 'Namespace', Type.Object({}, Open));
export type NamespaceObject = Static<typeof NamespaceSchema>;

export const ContainerPort = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 15 })),
    containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Optional(Protocol),
  },
  Open,
);

export const PodSchema = KubeObject(
  'v1',
  'Pod',
  Type.Object(
    {
      spec: Type.Object(
        {
          nodeName: Type.Optional(Type.String()),
          hostNetwork: Type.Optional(Type.Boolean()),
          containers: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  name: Type.String(),
                  ports: Type.Optional(Type.Array(ContainerPort)),
                },
                Open,
              ),
            ),
          ),
        },
        Open,
      ),
      status: Type.Optional(
        Type.Object(
          {
            podIP: Type.Optional(Type.String()),
            podIPs: Type.Optional(Type.Array(Type.Object({ ip: Type.String() }, Open))),
            phase: Type.Optional(Type.String()),
          },
          Open,
        ),
      ),
    },
    Open,
  ),
);
export type PodObject = Static<typeof PodSchema>;

export const ServiceSchema = KubeObject(
  'v1',
  'Service',
  Type.Object(
    {
      spec: Type.Object(
        {
          type: Type.Optional(Type.String()),
          clusterIP: Type.Optional(Type.String()),
          clusterIPs: Type.Optional(Type.Array(Type.String())),
          selector: Type.Optional(Type.Union([Labels, Type.Null()])),
          ports: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  name: Type.Optional(Type.String()),
                  protocol: Type.Optional(Protocol),
                  port: Type.Integer({ minimum: 1, maximum: 65535 }),
                  targetPort: Type.Optional(IntOrString),
                  nodePort: Type.Optional(Type.Integer()),
                },
                Open,
              ),
            ),
          ),
        },
        Open,
      ),
    },
    Open,
  ),
);
export type ServiceObject = Static<typeof ServiceSchema>;

export const ConfigMapSchema = KubeObject(
  'v1',
  'ConfigMap',
  Type.Object({ data: Type.Optional(Type.Record(Type.String(), Type.String())) }, Open),
);
export type ConfigMapObject = Static<typeof ConfigMapSchema>;
