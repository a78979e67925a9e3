import { describe, expect, test } from 'vitest';
import { Conntrack, Interpreter, Packet, Pipeline } from './interp.js';
import { parseFlow, parseFlows, parseGroups, parseMatch } from './parse.js';

const packet = (match: string) => new Packet(parseMatch(match).map((m) => [m.field, m.value] as [string, bigint]));
const run = (flows: string, match: string, groups = '') => new Interpreter(new Pipeline(parseFlows(flows), parseGroups(groups))).run(packet(match));
const outputs = (r: ReturnType<typeof run>) => r.emissions.flatMap((e) => (e.kind === 'output' ? [e.port] : []));

describe('flow text', () => {
  test('masks, prefixes, ct_state flags and protocol shorthands become value/mask pairs', () => {
    const f = parseFlow('cookie=0x1020000000005, table=12, priority=200,ct_state=+new-est+trk,tcp,reg0=0x400/0x400,nw_dst=10.10.0.0/16,tp_dst=0x50/0xfff0 actions=goto_table:13');
    expect(f.table).toBe(12);
    expect(f.priority).toBe(200);
    expect(f.cookie & 0xffffffffn).toBe(5n);
    const by = Object.fromEntries(f.match.map((m) => [m.field, [m.value, m.mask]]));
    expect(by['ct_state']).toEqual([0x21n, 0x23n]);
    expect(by['nw_proto']).toEqual([6n, 0xffn]);
    expect(by['nw_dst']).toEqual([0x0a0a0000n, 0xffff0000n]);
    expect(by['tp_dst']).toEqual([0x50n, 0xfff0n]);
  });

  test('actions with nested parentheses and field references', () => {
    const f = parseFlow('table=28, priority=200 actions=ct(commit,table=29,zone=65520,exec(move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3])),output:NXM_NX_REG1[]');
    expect(f.actions.map((a) => a.op)).toEqual(['ct', 'output']);
    const ct = f.actions[0]!;
    expect(ct.op === 'ct' && ct.exec[0]).toMatchObject({ op: 'move', src: { field: 'reg0', start: 0, bits: 4 }, dst: { field: 'ct_mark', start: 0, bits: 4 } });
  });
});

describe('interpreter', () => {
  test('the highest priority wins, and a complete conjunction beats lower priorities but not higher ones', () => {
    const flows = [
      'table=0, priority=300,ip,nw_src=10.0.0.9 actions=output:9',
      'table=0, priority=200,conj_id=7 actions=output:7',
      'table=0, priority=200,ip,nw_src=10.0.0.1 actions=conjunction(7,1/2)',
      'table=0, priority=200,tcp,tp_dst=80 actions=conjunction(7,2/2)',
      'table=0, priority=100,ip actions=output:1',
    ].join('\n');
    expect(outputs(run(flows, 'tcp,nw_src=10.0.0.1,tp_dst=80'))).toEqual([7]);
    expect(outputs(run(flows, 'tcp,nw_src=10.0.0.1,tp_dst=81'))).toEqual([1]);
    expect(outputs(run(flows, 'tcp,nw_src=10.0.0.9,tp_dst=80'))).toEqual([9]);
  });

  test('resubmit returns, goto_table does not; a table miss drops', () => {
    const flows = ['table=0, priority=1 actions=resubmit(,1),set_field:0x2->reg1,goto_table:2', 'table=1, priority=1 actions=set_field:0x1->reg1', 'table=2, priority=1,reg1=0x2 actions=output:NXM_NX_REG1[]'].join('\n');
    expect(outputs(run(flows, 'ip'))).toEqual([2]);
    const miss = run('table=0, priority=1 actions=goto_table:5', 'ip');
    expect(miss.emissions.map((e) => e.kind)).toEqual(['drop']);
  });

  test('a group of type all runs each bucket on its own copy', () => {
    const r = run('table=0, priority=1 actions=set_field:0x5->reg2,group:1\ntable=3, priority=1 actions=output:NXM_NX_REG2[]', 'ip', 'group_id=1,type=all,bucket=bucket_id:0,actions=set_field:0x3->reg2,resubmit(,3),bucket=bucket_id:1,actions=resubmit(,3)');
    expect(outputs(r)).toEqual([3, 5]);
    expect(r.packet.get('reg2')).toBe(5n);
  });

  test('ct(table=N) resumes after the current actions with the tracked state; a committed connection is established next time', () => {
    const flows = [
      'table=0, priority=1,ip actions=ct(table=1,zone=9)',
      'table=1, priority=2,ct_state=+new+trk,ip actions=ct(commit,table=2,zone=9,exec(set_field:0x7->ct_mark))',
      'table=1, priority=1,ct_state=+est+trk,ct_mark=0x7,ip actions=output:2',
      'table=2, priority=1,ct_mark=0x7 actions=output:1',
    ].join('\n');
    const ct = new Conntrack();
    const p = new Pipeline(parseFlows(flows));
    const first = new Interpreter(p, ct).run(packet('tcp,nw_src=1.1.1.1,nw_dst=2.2.2.2,tp_src=5,tp_dst=80'));
    expect(outputs(first)).toEqual([1]);
    expect(first.ctStates).toEqual([0x21n, 0x21n]);
    const second = new Interpreter(p, ct).run(packet('tcp,nw_src=1.1.1.1,nw_dst=2.2.2.2,tp_src=5,tp_dst=80'));
    expect(outputs(second)).toEqual([2]);
    // The reply direction of the same connection is established and marked as a reply.
    const reply = new Interpreter(p, ct).run(packet('tcp,nw_src=2.2.2.2,nw_dst=1.1.1.1,tp_src=80,tp_dst=5'));
    expect(reply.ctStates[0]).toBe(0x2an);
    // A TCP segment other than a bare SYN that belongs to no connection is invalid, as conntrack sees it.
    const stray = new Interpreter(p, ct).run(packet('tcp,nw_src=3.3.3.3,nw_dst=2.2.2.2,tp_src=5,tp_dst=80,tcp_flags=0x010'));
    expect(stray.ctStates[0]).toBe(0x30n);
  });

  test('registers are views of xreg and xxreg', () => {
    const p = new Packet();
    p.set('xxreg0', (1n << 96n) | 2n);
    expect(p.get('reg0')).toBe(1n);
    expect(p.get('reg3')).toBe(2n);
    expect(p.get('xreg1')).toBe(2n);
  });
});
