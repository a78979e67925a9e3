/**
 * NodeInventory (dpc/v1alpha1): what only the Node knows — ofports and MACs on br-int (docs/design.md §2).
 * Everything is optional; what is absent is derived from names.
 */
import { Type, type Static } from '@sinclair/typebox';
import { KubeObject, Open } from './common.js';

const Mac = Type.String({ pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$' });
const OfPort = Type.Integer({ minimum: 1, maximum: 65279 });
const PortName = Type.String({ minLength: 1, maxLength: 15 });

export const NodeInventorySchema = KubeObject(
  'dpc/v1alpha1',
  'NodeInventory',
  Type.Object(
    {
      spec: Type.Object(
        {
          bridge: Type.Optional(PortName),
          gateway: Type.Optional(
            Type.Object({ name: Type.Optional(PortName), ofport: Type.Optional(OfPort), mac: Type.Optional(Mac) }, Open),
          ),
          tunnel: Type.Optional(Type.Object({ name: Type.Optional(PortName), ofport: Type.Optional(OfPort) }, Open)),
          pods: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  namespace: Type.String({ minLength: 1 }),
                  name: Type.String({ minLength: 1 }),
                  interface: Type.Optional(PortName),
                  ofport: Type.Optional(OfPort),
                  mac: Type.Optional(Mac),
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
export type NodeInventoryObject = Static<typeof NodeInventorySchema>;
