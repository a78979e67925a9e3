/**
 * antrea-controller.conf: the fields dpc reads (pkg/config/controller/config.go in Antrea). dpc needs the feature
 * gates only, to know which policy kinds the cluster enforces; the rest of the file is allowed and ignored.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Open } from './common.js';

export const ControllerConfigSchema = Type.Object(
  {
    featureGates: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Boolean()), Type.Null()])),
  },
  Open,
);
export type ControllerConfig = Static<typeof ControllerConfigSchema>;

/**
 * Top-level keys only antrea-controller.conf has (Antrea's chart writes all of them): they mark a document without
 * apiVersion/kind as a standalone controller config rather than an agent config, which shares featureGates,
 * apiPort, enablePrometheusMetrics and the TLS settings with it.
 */
export const CONTROLLER_CONFIG_KEYS = ['selfSignedCert', 'clientCAFile', 'nodeIPAM', 'ipsecCSRSigner'] as const;
