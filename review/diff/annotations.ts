/**
 * The rules that changed a verdict, each at its YAML line, as SARIF 2.1.0 and as GitHub workflow commands
 * (`::warning file=…,line=…::`), so a pull request shows the change's effect on the policy lines that cause it.
 * A rule is responsible for a pair when its flows decided a probe whose verdict differs between the sides. The
 * annotations name the causes: rules deciding the new verdicts, and rules of the old side that are gone (a deleted
 * policy points at its old lines, since the new side has none); a rule merely overruled is listed in the comment only.
 */
import { formatConnections } from './connset.js';
import type { ConnectivityChange } from './connectivity.js';
import type { DiffReport } from './formats.js';
import { ruleText, type RuleInfo } from './origins.js';
import type { CompiledVersion, SourcePosition } from './version.js';

export interface ResponsibleRule {
  readonly id: number;
  readonly text: string;
  readonly rule: RuleInfo;
  /** after: its flows decide the new verdicts; before: they decided the old ones (and the rule is gone or overruled). */
  readonly when: 'before' | 'after';
  readonly position?: SourcePosition;
  readonly changes: readonly ConnectivityChange[];
  /** The rule causes the change (decides a new verdict, or was deleted), rather than being overruled by it. */
  readonly cause: boolean;
}

export function responsibleRules(
  r: DiffReport,
  rules: { old: ReadonlyMap<number, RuleInfo>; new: ReadonlyMap<number, RuleInfo> },
  sides: { old: CompiledVersion; new: CompiledVersion },
): ResponsibleRule[] {
  const by = new Map<string, { id: number; when: 'before' | 'after'; changes: ConnectivityChange[] }>();
  for (const c of r.connectivity) {
    for (const [when, ids] of [['after', c.rules.new], ['before', c.rules.old]] as const) {
      for (const id of ids) {
        const k = `${when}:${id}`;
        let e = by.get(k);
        if (!e) by.set(k, (e = { id, when, changes: [] }));
        if (!e.changes.includes(c)) e.changes.push(c);
      }
    }
  }
  const out: ResponsibleRule[] = [];
  for (const e of by.values()) {
    const side = e.when === 'after' ? 'new' : 'old';
    const rule = rules[side].get(e.id);
    if (!rule) continue;
    const position = sides[side].locate?.(rule.policy, rule.direction, rule.action === 'Isolate' ? undefined : rule.rulePosition);
    const cause = e.when === 'after' || !rules.new.has(e.id);
    out.push({ id: e.id, text: ruleText(rule), rule, when: e.when, ...(position ? { position } : {}), changes: e.changes, cause });
  }
  return out.sort((a, b) => (a.when !== b.when ? (a.when === 'after' ? -1 : 1) : a.text < b.text ? -1 : a.text > b.text ? 1 : a.id - b.id));
}

const LISTED = 10;

export function changeText(c: ConnectivityChange): string {
  return `${c.src.key} -> ${c.dst.key}: ${formatConnections(c.dir1)} => ${formatConnections(c.dir2)} (${c.type})`;
}

function message(r: ResponsibleRule): string {
  const n = r.changes.length;
  const verb = r.when === 'after' ? 'now decides' : 'decided, before this change,';
  const head = `${r.text} ${verb} ${n} changed connection${n === 1 ? '' : 's'}:`;
  const list = r.changes.slice(0, LISTED).map(changeText);
  if (n > LISTED) list.push(`… and ${n - LISTED} more`);
  return [head, ...list].join('\n');
}

/** SARIF 2.1.0 with one result per responsible rule. */
export function sarif(responsible: readonly ResponsibleRule[]): string {
  const doc = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dpc',
            informationUri: 'https://github.com/dpc/dpc',
            rules: [
              {
                id: 'connectivity-change',
                name: 'ConnectivityChange',
                shortDescription: { text: 'A policy rule decides connections this change opens or closes' },
                defaultConfiguration: { level: 'warning' },
              },
            ],
          },
        },
        results: responsible.filter((r) => r.cause).map((r) => ({
          ruleId: 'connectivity-change',
          level: 'warning',
          message: { text: message(r) },
          ...(r.position
            ? { locations: [{ physicalLocation: { artifactLocation: { uri: r.position.file }, region: { startLine: r.position.line, startColumn: r.position.col } } }] }
            : {}),
          partialFingerprints: { dpcRule: `${r.rule.policy.type}/${r.rule.policy.namespace ?? ''}/${r.rule.policy.name}/${r.rule.direction}/${r.rule.rulePosition ?? r.rule.action}` },
        })),
      },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** GitHub's escaping of workflow command data and of property values (actions/toolkit, command.ts). */
const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function githubAnnotations(responsible: readonly ResponsibleRule[]): string {
  return responsible
    .filter((r) => r.cause)
    .map((r) => {
      const props = [
        ...(r.position ? [`file=${escapeProperty(r.position.file)}`, `line=${r.position.line}`, `col=${r.position.col}`] : []),
        `title=${escapeProperty(`dpc: ${r.text}`)}`,
      ];
      return `::warning ${props.join(',')}::${escapeData(message(r))}\n`;
    })
    .join('');
}
