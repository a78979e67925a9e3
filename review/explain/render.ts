/**
 * The explainer's views of a Trace: text in the manner of `ovn-trace`/`ofproto/trace` (each flow with its table
 * name, priority, the flow line and where it came from), JSON (the Trace itself), and Antrea's Traceflow status.
 */
import type { Hop, Trace } from './trace.js';

function endpoint(e: Trace['packet']['from']): string {
  return 'pod' in e ? e.pod : e.ip;
}

export function packetLine(t: Trace): string {
  const p = t.packet;
  const l4 = p.protocol === 'ICMP' ? ` type ${p.icmp?.type ?? 8} code ${p.icmp?.code ?? 0}` : '';
  const src = p.protocol === 'ICMP' ? p.srcIP : `${p.srcIP}:${p.sourcePort ?? 10000}`;
  const dst = p.protocol === 'ICMP' ? p.dstIP : `${p.dstIP}:${p.port}`;
  return `${p.protocol}${l4} ${src} -> ${dst} (${endpoint(p.from)} -> ${endpoint(p.to)}), ${p.state ?? 'new'} connection`;
}

function hopLines(h: Hop): string[] {
  const pad = '  '.repeat(h.depth + 1);
  if (h.kind === 'recirc') return [`  --- ${h.detail}`];
  if (h.kind === 'host') return [`  host: ${h.detail}`];
  if (h.kind === 'miss') return [`${pad}${h.table}. ${h.tableName}: ${h.detail}`];
  if (h.kind !== 'flow') return [`${pad}     ${h.detail ?? h.kind}`];
  const body = (h.flow ?? '').replace(/^cookie=0x[0-9a-f]+, /, '').replace(/^table=\d+, /, '').replace(/^priority=\d+,?/, '');
  const out = [`${pad}${h.table}. ${h.tableName} priority ${h.priority}${body.startsWith(' actions') ? '' : ','}${body}`];
  const o = h.origin;
  if (o?.policy) out.push(`${pad}     from ${o.policy}${o.rule ? ` rule ${o.rule}` : ''}${o.direction ? ` (${o.direction}${o.action ? ` ${o.action}` : ''})` : ''}${o.position ? ` at ${o.position}` : ''}`);
  else if (o && o.ruleId !== undefined) out.push(`${pad}     from rule ${o.ruleId} (${o.category})`);
  if (h.detail) out.push(`${pad}     ${h.detail}`);
  if (h.set && Object.keys(h.set).length) out.push(`${pad}     sets ${Object.entries(h.set).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return out;
}

export function renderText(t: Trace): string {
  const lines = [`packet: ${packetLine(t)}`, ''];
  for (const n of t.nodes) {
    lines.push(n.inPort ? `${n.node} (in_port ${n.inPort})` : `${n.node} (host)`);
    for (const h of n.hops) lines.push(...hopLines(h));
    const regs = Object.entries(n.registers).map(([k, v]) => `${k}=${v}`);
    if (regs.length) lines.push(`  registers at the end: ${regs.join(' ')}`);
    if (n.host) lines.push(`  host: ${n.host.detail}`);
    lines.push('');
  }
  lines.push(`verdict: ${t.verdict.kind}: ${t.verdict.summary}`);
  lines.push('', 'traceflow:');
  for (const n of t.nodes) {
    lines.push(`  ${n.node}`);
    for (const o of n.observations) {
      const extra = Object.entries(o)
        .filter(([k]) => k !== 'component' && k !== 'componentInfo' && k !== 'action')
        .map(([k, v]) => `${k}=${String(v)}`);
      lines.push(`    ${[o.component, o.componentInfo, o.action].filter(Boolean).join(' / ')}${extra.length ? `  ${extra.join(' ')}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Antrea's Traceflow status shape: one result per Node, sender first. */
export function traceflowStatus(t: Trace): { phase: string; results: { node: string; observations: Trace['nodes'][number]['observations'] }[] } {
  return { phase: 'Succeeded', results: t.nodes.map((n) => ({ node: n.node, observations: n.observations })) };
}
