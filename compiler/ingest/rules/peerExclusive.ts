/** peerExclusive: a peer that sets group, serviceAccount or nodeSelector sets nothing else (docs/reference/iptables-egress.md §6.1 item 5). */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { PEER_FIELDS, antreaRules, fieldsSet, rulePeers } from './walk.js';

const ALONE = ['group', 'serviceAccount', 'nodeSelector'] as const;

export const peerExclusive: PolicyRule = {
  name: 'peerExclusive',
  reference: '§6.1 item 5',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      for (const site of antreaRules(view)) {
        for (const { peer, path } of rulePeers(site)) {
          const set = fieldsSet(peer, PEER_FIELDS);
          const lone = ALONE.find((f) => set.includes(f));
          if (lone && set.length > 1) out.push(report(view.src, view.ref, path, Msg.peerNotAlone(lone)));
        }
      }
    }
    return out;
  },
};
