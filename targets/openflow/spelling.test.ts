/** OVS's canonical spelling of records (the dataplane tests prove it against a real OVS; these pin the rules). */
import { describe, expect, test } from 'vitest';
import { spellAction, spellMatch } from './spelling.js';
import { bitsMatch, bitsRef, headerRef, regMatch, regRef, setBits } from '../../compiler/plan/flow.js';
import {
  ConnSourceCTMarkField,
  EgressRuleCTLabelField,
  FromGatewayCTMark,
  HostLocalSourceMark,
  IngressRuleCTLabelField,
  OutputToControllerRegMark,
  PacketInOperationField,
  PktSourceField,
  TargetOFPortField,
} from '../../compiler/plan/fields.js';
import { parseCidr } from '../../compiler/net/ip.js';

const tid = (name: string) => ({ Output: 40, IngressMetric: 39 })[name] ?? 0;

describe('match spelling', () => {
  test('fields in OVS order, registers merged per register, /0 and mask-0 ports left out', () => {
    expect(spellMatch({ proto: 'tcp', nwSrc: parseCidr('10.0.0.0/8')!, tpDst: { value: 0x400n, mask: 0xfc00n }, regs: regMatch(OutputToControllerRegMark, { field: PacketInOperationField, value: 2 }) })).toBe(
      'tcp,reg0=0x4400000/0xfe600000,nw_src=10.0.0.0/8,tp_dst=0x400/0xfc00',
    );
    expect(spellMatch({ proto: 'ip', nwDst: parseCidr('0.0.0.0/0')!, tpSrc: { value: 0n, mask: 0n } })).toBe('ip');
    expect(spellMatch({ proto: 'ipv6', nwSrc: parseCidr('fd00::/64')! })).toBe('ipv6,ipv6_src=fd00::/64');
    expect(spellMatch({ regs: regMatch({ field: TargetOFPortField, value: 7 }) })).toBe('reg1=0x7');
  });

  test('ct_mark, ct_label and pkt_mark from named fields', () => {
    expect(spellMatch({ ctState: '+rpl+trk', ctMark: bitsMatch(FromGatewayCTMark), proto: 'ip' })).toBe('ct_state=+rpl+trk,ct_mark=0x2/0xf,ip');
    expect(spellMatch({ pktMark: bitsMatch(HostLocalSourceMark) })).toBe('pkt_mark=0x80000000/0x80000000');
    expect(spellMatch({ ctLabel: bitsMatch({ field: EgressRuleCTLabelField, value: 5n }) })).toBe('ct_label=0x500000000/0xffffffff00000000');
  });
});

describe('action spelling', () => {
  test('set_field into one half of ct_label', () => {
    expect(spellAction(setBits(IngressRuleCTLabelField, 9n), tid)).toBe('set_field:0x9/0xffffffff->ct_label');
    expect(spellAction(setBits(EgressRuleCTLabelField, 9n), tid)).toBe('set_field:0x900000000/0xffffffff00000000->ct_label');
  });

  test('move and output name subfields as OVS prints them', () => {
    expect(spellAction({ kind: 'move', src: regRef(PktSourceField), dst: bitsRef(ConnSourceCTMarkField) }, tid)).toBe('move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]');
    expect(spellAction({ kind: 'move', src: headerRef('NXM_OF_ETH_SRC'), dst: headerRef('NXM_OF_ETH_DST') }, tid)).toBe('move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]');
    expect(spellAction({ kind: 'outputReg', field: TargetOFPortField }, tid)).toBe('output:NXM_NX_REG1[]');
  });

  test('ct with commit, table, zone and exec', () => {
    expect(spellAction({ kind: 'ct', commit: true, table: 'IngressMetric', zone: 65520, exec: [setBits(IngressRuleCTLabelField, 3n)] }, tid)).toBe(
      'ct(commit,table=39,zone=65520,exec(set_field:0x3/0xffffffff->ct_label))',
    );
  });
});
