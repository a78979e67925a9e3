/**
 * ovsdb/transact.json: RFC 7047 `transact` operations that create the ports the bundle owns (tunnel, gateway)
 * with their reserved ofports, and name the flow tables so `ovs-ofctl --names` shows Antrea's names.
 * Apply with `ovsdb-client transact <db> "$(cat transact.json)"` on a bridge that exists.
 */
import type { NodePlan } from '../../compiler/plan/nodePlan.js';

type OvsdbMap = ['map', [string | number, unknown][]];

const ovsMap = (entries: Readonly<Record<string, string>>): OvsdbMap => [
  'map',
  Object.keys(entries)
    .sort()
    .map((k) => [k, entries[k]!]),
];

export function transactOperations(plan: NodePlan): unknown[] {
  const ops: unknown[] = [];
  const portRefs: unknown[] = [];
  plan.ovsdbPorts.forEach((p, i) => {
    const iface = `iface${i}`;
    const port = `port${i}`;
    const row: Record<string, unknown> = {
      name: p.name,
      type: p.type,
      ofport_request: p.ofport,
      options: ovsMap(p.options),
      external_ids: ovsMap(p.externalIds),
    };
    if (p.mac) row['mac'] = p.mac;
    ops.push({ op: 'insert', table: 'Interface', 'uuid-name': iface, row });
    ops.push({
      op: 'insert',
      table: 'Port',
      'uuid-name': port,
      row: { name: p.name, interfaces: ['named-uuid', iface], external_ids: ovsMap(p.externalIds) },
    });
    portRefs.push(['named-uuid', port]);
  });
  const tableRefs: [number, unknown][] = [];
  for (const t of plan.tables.tables) {
    const ref = `table${t.id}`;
    ops.push({ op: 'insert', table: 'Flow_Table', 'uuid-name': ref, row: { name: t.name } });
    tableRefs.push([t.id, ['named-uuid', ref]]);
  }
  ops.push({
    op: 'mutate',
    table: 'Bridge',
    where: [['name', '==', plan.ports.bridge]],
    mutations: [
      ['ports', 'insert', ['set', portRefs]],
      ['flow_tables', 'insert', ['map', tableRefs]],
    ],
  });
  return ['Open_vSwitch', ...ops];
}

/** One operation a line: compact enough to read, and a change to one port shows as a one-line diff. */
export function renderTransact(plan: NodePlan): string {
  const [db, ...ops] = transactOperations(plan);
  return `[${JSON.stringify(db)},\n${ops.map((op) => ` ${JSON.stringify(op)}`).join(',\n')}\n]\n`;
}
