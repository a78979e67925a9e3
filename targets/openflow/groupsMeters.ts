/** groups.txt and meters.txt: one `ovs-ofctl add-group` / `add-meter` argument a line (OVS 3.1 has no file form for meters). */
import type { GroupPlan, MeterPlan } from '../../compiler/plan/networkPolicy.js';
import { tableId, type TableMap, type TableName } from '../../compiler/allocate/pipeline.js';
import { spellAction } from './spelling.js';

export function renderGroups(groups: readonly GroupPlan[], tables: TableMap): string {
  const id = (name: string) => tableId(tables, name as TableName);
  return [...groups]
    .sort((a, b) => a.id - b.id)
    .map((g) => {
      const buckets = g.buckets.map((actions, i) => `bucket=bucket_id:${i},actions=${actions.map((a) => spellAction(a, id)).join(',')}`);
      return `group_id=${g.id},type=all,${buckets.join(',')}\n`;
    })
    .join('');
}

export function renderMeters(meters: readonly MeterPlan[]): string {
  return [...meters]
    .sort((a, b) => a.id - b.id)
    .map((m) => `meter=${m.id},${m.kind},burst,bands=type=drop,rate=${m.rate},burst_size=${m.burst}\n`)
    .join('');
}
