/**
 * portNumbersInRange: numeric ports, endPorts, sourcePorts and sourceEndPorts are 1–65535. The API server requires
 * it of Kubernetes NetworkPolicies; Antrea's CRD leaves them unbounded, but a TCP/UDP/SCTP port field has 16 bits,
 * so dpc holds Antrea policies to the same range rather than compile a match that cannot exist (dpc).
 */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { allPorts } from './ports.js';
import { isValidPortNumber } from './syntax.js';

const NUMERIC = ['port', 'endPort', 'sourcePort', 'sourceEndPort'] as const;

export const portNumbersInRange: PolicyRule = {
  name: 'portNumbersInRange',
  reference: 'Kubernetes API; dpc for Antrea policies',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const site of allPorts(ctx)) {
      for (const f of NUMERIC) {
        const v = site.port[f];
        if (typeof v === 'number' && !isValidPortNumber(v)) out.push(report(site.src, site.ref, [...site.path, f], Msg.portOutOfRange(v)));
      }
    }
    return out;
  },
};
