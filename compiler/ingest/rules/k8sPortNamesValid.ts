/**
 * k8sPortNamesValid: a named port of a Kubernetes NetworkPolicy is an IANA service name (at most 15 lowercase
 * letters, digits and single hyphens, with a letter), as the API server requires.
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { allPorts } from './ports.js';
import { portNameProblem } from './syntax.js';

export const k8sPortNamesValid: PolicyRule = {
  name: 'k8sPortNamesValid',
  reference: 'Kubernetes API',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const site of allPorts(ctx)) {
      if (!site.k8s || typeof site.port.port !== 'string') continue;
      const why = portNameProblem(site.port.port);
      if (why) out.push(report(site.src, site.ref, [...site.path, 'port'], Msg.portNameInvalid(site.port.port, why)));
    }
    return out;
  },
};
