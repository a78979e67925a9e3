/**
 * visibility/exporter.json: the flow exporter's settings and naming tables for one Node (compiler/plan/visibility.ts).
 * One Pod or subnet a line, so a reviewer's diff shows exactly which Pod appeared or moved.
 */
import type { VisibilityPlan } from '../../compiler/plan/visibility.js';

export function renderExporterJson(v: VisibilityPlan): string {
  const s = v.settings;
  const head = {
    apiVersion: 'dpc/v1alpha1',
    kind: 'FlowExporter',
    node: v.node,
    enabled: s.enabled,
    collector: { host: s.collector.host, port: s.collector.port, transport: s.collector.proto },
    pollIntervalMs: s.pollIntervalMs,
    activeFlowExportTimeoutMs: s.activeTimeoutMs,
    idleFlowExportTimeoutMs: s.idleTimeoutMs,
    staleConnectionTimeoutMs: s.staleTimeoutMs,
    protocols: s.protocols,
  };
  const list = (key: string, items: readonly unknown[]): string =>
    `  ${JSON.stringify(key)}: [${items.length === 0 ? '' : `\n${items.map((i) => `    ${JSON.stringify(i)}`).join(',\n')}\n  `}]`;
  const lines = [
    ...Object.entries(head).map(([k, val]) => `  ${JSON.stringify(k)}: ${JSON.stringify(val)}`),
    list('podSubnets', v.podSubnets),
    list('pods', v.pods),
  ];
  return `{\n${lines.join(',\n')}\n}\n`;
}
