/** fqdnCharacters: an egress peer's fqdn holds only letters, digits, "-", "." and "*" (docs/reference/iptables-egress.md §6.1 item 7). */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules, rulePeers } from './walk.js';

const FQDN_CHARS = /^[-0-9a-zA-Z.*]+$/;

export const fqdnCharacters: PolicyRule = {
  name: 'fqdnCharacters',
  reference: '§6.1 item 7',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      for (const site of antreaRules(view)) {
        if (site.direction !== 'egress') continue;
        for (const { peer, path } of rulePeers(site)) {
          if (peer.fqdn && !FQDN_CHARS.test(peer.fqdn)) out.push(report(view.src, view.ref, [...path, 'fqdn'], Msg.fqdnInvalid(peer.fqdn)));
        }
      }
    }
    return out;
  },
};
