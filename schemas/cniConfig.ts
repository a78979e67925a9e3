/**
 * antrea-cni.conflist, the CNI network configuration list Antrea's chart writes beside antrea-agent.conf in the
 * antrea-config ConfigMap (build/charts/antrea/conf/antrea-cni.conflist). dpc reads which plugins are chained:
 * `cni.plugins.bandwidth: true` in the chart adds `{"type": "bandwidth", ...}`, and then the CNI bandwidth plugin
 * shapes Pods annotated kubernetes.io/ingress-bandwidth and egress-bandwidth. Other fields are allowed and ignored.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Open } from './common.js';

export const CniConfigListSchema = Type.Object(
  {
    cniVersion: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    plugins: Type.Array(Type.Object({ type: Type.String() }, Open)),
  },
  Open,
);
export type CniConfigList = Static<typeof CniConfigListSchema>;
