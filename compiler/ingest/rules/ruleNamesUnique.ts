/**
 * ruleNamesUnique: rule names are unique within a policy, ingress and egress together (docs/reference/iptables-egress.md §6.1 item 3).
 * Antrea's mutating webhook names an unnamed rule from its direction, action and a hash of its content, so two
 * identical unnamed rules of one direction get one name and are refused too.
 */
import { createHash } from 'node:crypto';
import type { AntreaRule } from '../../../schemas/antreaPolicy.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { Msg } from '../../diagnostics/messages.js';
import { report, type PolicyRule } from './context.js';
import { antreaRules, type RuleSite } from './walk.js';
import { canonicalJson } from '../../util/canonicalJson.js';

/** What decides the generated name of an unnamed rule (enableLogging is always serialized, false by default). */
function unnamedKey(site: RuleSite): string {
  return `${site.direction}\0${canonicalJson({ ...site.rule, enableLogging: site.rule.enableLogging ?? false })}`;
}

/**
 * The name Antrea's mutating webhook gives an unnamed rule: `<direction>-<action>-<7 hex of a content hash>`.
 * Antrea hashes Go's JSON of the rule, which dpc cannot reproduce byte for byte; the form and its stability are the same.
 */
export function generatedRuleName(direction: 'ingress' | 'egress', rule: AntreaRule): string {
  const hash = createHash('sha1').update(canonicalJson({ ...rule, enableLogging: rule.enableLogging ?? false })).digest('hex');
  return `${direction}-${rule.action.toLowerCase()}-${hash.slice(0, 7)}`;
}

export const ruleNamesUnique: PolicyRule = {
  name: 'ruleNamesUnique',
  reference: '§6.1 item 3',
  check(ctx) {
    const out: Diagnostic[] = [];
    for (const view of ctx.antreaPolicies) {
      const named = new Map<string, RuleSite>();
      const unnamed = new Map<string, RuleSite>();
      for (const site of antreaRules(view)) {
        const name = site.rule.name ?? '';
        if (name !== '') {
          const first = named.get(name);
          if (first) {
            out.push(
              report(view.src, view.ref, [...site.path, 'name'], Msg.duplicateRuleName(name), {
                related: [{ at: { loc: view.src.loc, field: [...first.path, 'name'] }, message: 'the first rule with this name is here' }],
              }),
            );
          } else named.set(name, site);
          continue;
        }
        const key = unnamedKey(site);
        const first = unnamed.get(key);
        if (first) {
          out.push(
            report(view.src, view.ref, site.path, Msg.duplicateUnnamedRule(), {
              related: [{ at: { loc: view.src.loc, field: first.path }, message: 'the identical rule is here' }],
            }),
          );
        } else unnamed.set(key, site);
      }
    }
    return out;
  },
};
