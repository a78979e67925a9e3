/** Every `ports` entry of every policy, Kubernetes and Antrea alike. */
import type { FieldPath } from '../../diagnostics/diagnostic.js';
import type { AntreaPort } from '../../../schemas/antreaPolicy.js';
import { refOf, type RuleContext } from './context.js';
import { antreaRules, type Subject } from './walk.js';

export interface PortSite extends Subject {
  /** Kubernetes ports simply lack the source fields. */
  port: AntreaPort;
  path: FieldPath;
  k8s: boolean;
}

export function allPorts(ctx: RuleContext): PortSite[] {
  const out: PortSite[] = [];
  for (const src of ctx.objects.networkPolicies) {
    const ref = refOf('NetworkPolicy', src.obj, true);
    (src.obj.spec.ingress ?? []).forEach((r, i) =>
      (r.ports ?? []).forEach((port, j) => out.push({ src, ref, port, path: ['spec', 'ingress', i, 'ports', j], k8s: true })),
    );
    (src.obj.spec.egress ?? []).forEach((r, i) =>
      (r.ports ?? []).forEach((port, j) => out.push({ src, ref, port, path: ['spec', 'egress', i, 'ports', j], k8s: true })),
    );
  }
  for (const view of ctx.antreaPolicies) {
    for (const site of antreaRules(view)) {
      (site.rule.ports ?? []).forEach((port, j) =>
        out.push({ src: view.src, ref: view.ref, port, path: [...site.path, 'ports', j], k8s: false }),
      );
    }
  }
  return out;
}
