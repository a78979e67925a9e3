/**
 * The rules that changed a verdict, each at its YAML line, as SARIF 2.1.0 and as GitHub workflow commands
 * (`::warning file=…,line=…::`), so a pull request shows the change's effect on the policy lines that cause it.
 * A rule is responsible for a pair when its flows decided a probe whose verdict differs between the sides; a rule
 * present only in the old snapshot (a deleted policy) points at its old lines, since the new side has none.
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
  readonly side: 'old' | 'new';
  readonly position?: SourcePosition;
  readonly changes: readonly ConnectivityChange[];
}

export function responsibleRules(
  r: DiffReport,
  rules: { old: ReadonlyMap<number, RuleInfo>; new: ReadonlyMap<number, RuleInfo> },
  sides: { old: CompiledVersion; new: CompiledVersion },
): ResponsibleRule[] {
  const by = new Map<number, { side: 'old' | 'new'; changes: ConnectivityChange[] }>();
  for (const c of r.connectivity) {
    for (const side of ['new', 'old'] as const) {
      for (const id of c.rules[side]) {
        let e = by.get(id);
        if (!e) by.set(id, (e = { side: rules.new.has(id) ? 'new' : 'old', changes: [] }));
        if (!e.changes.includes(c)) e.changes.push(c);
      }
    }
  }
  const out: ResponsibleRule[] = [];
  for (const [id, e] of by) {
    const rule = rules[e.side].get(id);
    if (!rule) continue;
    const position = sides[e.side].locate?.(rule.policy, rule.direction, rule.action === 'Isolate' ? undefined : rule.rulePosition);
    out.push({ id, text: ruleText(rule), rule, side: e.side, ...(position ? { position } : {}), changes: e.changes });
  }
  return out.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : a.id - b.id));
}

const LISTED = 10;

export function changeText(c: ConnectivityChange): string {
  return `${c.src.key} -> ${c.dst.key}: ${formatConnections(c.dir1)} => ${formatConnections(c.dir2)} (${c.type})`;
}

function message(r: ResponsibleRule): string {
  const n = r.changes.length;
  const head = `${r.text}${r.side === 'old' ? ' (removed by this change)' : ''} decides ${n} changed connection${n === 1 ? '' : 's'}:`;
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
        results: responsible.map((r) => ({
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
    .map((r) => {
      const props = [
        ...(r.position ? [`file=${escapeProperty(r.position.file)}`, `line=${r.position.line}`, `col=${r.position.col}`] : []),
        `title=${escapeProperty(`dpc: ${r.text}`)}`,
      ];
      return `::warning ${props.join(',')}::${escapeData(message(r))}\n`;
    })
    .join('');
}
