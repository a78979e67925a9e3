/**
 * tc/ artifacts of a Node (docs/design.md §3). `links.txt` is `ip -batch` input creating and raising the ifb
 * devices; `tc.txt` is `tc -batch` input (one command a line, without the leading `tc`) for the qdiscs, then the
 * filters that need them. Load links.txt first: tc resolves every device name as it reads a line. Every command
 * of tc.txt is a `replace`, so loading it again changes nothing; the u32 filter names its handle for the same reason.
 */
import type { TcRecord } from '../../compiler/plan/tc.js';

/** The first filter of a u32 table at a fresh priority: table 800, bucket 0, node 800. */
const U32_HANDLE = '800::800';

function tcLine(r: Exclude<TcRecord, { kind: 'ifb' }>): string {
  switch (r.kind) {
    case 'tbf':
      return `qdisc replace dev ${r.device} root handle 1: tbf rate ${r.shape.rateBytes * 8n}bit burst ${r.shape.burstBytes}b limit ${r.shape.limitBytes}b`;
    case 'ingress':
      return `qdisc replace dev ${r.device} handle ffff: ingress`;
    case 'redirect':
      return `filter replace dev ${r.device} parent ffff: protocol all prio 1 handle ${U32_HANDLE} u32 match u32 0 0 classid 1:1 action mirred egress redirect dev ${r.target}`;
  }
}

const lines = (list: readonly string[]): string => (list.length > 0 ? `${[...new Set(list)].sort().join('\n')}\n` : '');

export function renderTcBatch(records: readonly TcRecord[]): string {
  const qdiscs = lines(records.flatMap((r) => (r.kind === 'tbf' || r.kind === 'ingress' ? [tcLine(r)] : [])));
  const filters = lines(records.flatMap((r) => (r.kind === 'redirect' ? [tcLine(r)] : [])));
  return qdiscs + filters;
}

export function renderIfbLinks(records: readonly TcRecord[]): string {
  const names = [...new Set(records.flatMap((r) => (r.kind === 'ifb' ? [r.device] : [])))].sort();
  return names.map((n) => `link add ${n} type ifb\nlink set ${n} up\n`).join('');
}
