/**
 * portRangesOrdered: a port range is well formed — endPort needs a numeric port and is not below it; sourceEndPort
 * needs sourcePort and is not below it (docs/reference/iptables-egress.md §6.1 item 11). The API server checks endPort of Kubernetes
 * NetworkPolicies the same way.
 */
import type { Diagnostic, FieldPath } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import type { AntreaPort } from '../../../schemas/antreaPolicy.js';
import { report, type PolicyRule } from './context.js';
import { allPorts } from './ports.js';

function checkPort(p: AntreaPort, path: FieldPath, push: (field: FieldPath, msg: ReturnType<typeof Msg.endPortWithoutPort>) => void) {
  if (p.endPort !== undefined) {
    if (p.port === undefined) push([...path, 'endPort'], Msg.endPortWithoutPort());
    else if (typeof p.port === 'string') push([...path, 'endPort'], Msg.endPortNamedPort());
    else if (p.endPort < p.port) push([...path, 'endPort'], Msg.endPortBelowPort(p.endPort, p.port));
  }
  if (p.sourceEndPort !== undefined) {
    if (p.sourcePort === undefined) push([...path, 'sourceEndPort'], Msg.sourceEndPortWithoutSourcePort());
    else if (p.sourceEndPort < p.sourcePort) push([...path, 'sourceEndPort'], Msg.sourceEndPortBelow(p.sourceEndPort, p.sourcePort));
  }
}

export const portRangesOrdered: PolicyRule = {
  name: 'portRangesOrdered',
  reference: '§6.1 item 11, Kubernetes API',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const site of allPorts(ctx)) {
      checkPort(site.port, site.path, (field, msg) => out.push(report(site.src, site.ref, field, msg)));
    }
    return out;
  },
};
