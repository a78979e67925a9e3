/**
 * An atomic OpenFlow bundle and an owned-flow count on an open OpenFlow 1.3 connection, so a running agent changes
 * flows without starting ovs-ofctl. OpenFlow 1.3 has no bundles; OVS accepts the ONF extension that OpenFlow 1.4
 * standardised (ONF experimenter 2300 control, 2301 add; the same bodies as OFPT_BUNDLE_CONTROL/ADD_MESSAGE), as
 * `ovs-ofctl -O OpenFlow13 bundle` sends it. Flags ATOMIC|ORDERED: the switch applies every message or none, in
 * order. An open bundle dies with its connection, so a kill before the commit leaves the flows as they were.
 */
import { msg, type OpenFlowClient } from './client.js';

const OFPT_EXPERIMENTER = 4;
const OFPT_MULTIPART_REQUEST = 18;
const OFPMP_AGGREGATE = 2;
const ONF_VENDOR = 0x4f4e4600;
const ONFT = { control: 2300, add: 2301 } as const;
const CTRL = { open: 0, close: 2, commit: 4, discard: 6 } as const;
const CTRL_REPLY = { [CTRL.open]: 1, [CTRL.commit]: 5, [CTRL.discard]: 7 } as Record<number, number>;
const FLAGS = 0b11; // OFPBF_ATOMIC | OFPBF_ORDERED

function onf(expType: number, xid: number, body: Buffer): Buffer {
  const e = Buffer.alloc(8);
  e.writeUInt32BE(ONF_VENDOR, 0);
  e.writeUInt32BE(expType, 4);
  return msg(OFPT_EXPERIMENTER, xid, Buffer.concat([e, body]));
}

function control(bundleId: number, type: number, xid: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(bundleId >>> 0, 0);
  b.writeUInt16BE(type, 4);
  b.writeUInt16BE(FLAGS, 6);
  return onf(ONFT.control, xid, b);
}

async function controlRequest(of: OpenFlowClient, bundleId: number, type: number): Promise<void> {
  const reply = await of.request((xid) => control(bundleId, type, xid)).reply;
  if (reply.length < 24 || reply.readUInt32BE(8) !== ONF_VENDOR || reply.readUInt16BE(20) !== CTRL_REPLY[type]) {
    throw new Error(`OpenFlow bundle ${bundleId}: unexpected reply to control request ${type}`);
  }
}

/**
 * Sends the messages (each built for the xid it is given) as one atomic, ordered bundle and commits it; throws,
 * with the switch unchanged, if the switch refuses any message or the commit.
 */
export async function commitBundle(of: OpenFlowClient, messages: readonly ((xid: number) => Buffer)[], bundleId: number, beforeCommit: () => void = () => undefined): Promise<void> {
  await controlRequest(of, bundleId, CTRL.open);
  // The switch answers an added message only when it refuses it; the barrier's reply follows any such error.
  const added = messages.map((build) =>
    of.request((xid) => {
      const m = build(xid);
      const b = Buffer.alloc(8);
      b.writeUInt32BE(bundleId >>> 0, 0);
      b.writeUInt16BE(FLAGS, 6);
      return onf(ONFT.add, xid, Buffer.concat([b, m]));
    }),
  );
  const refused: Error[] = [];
  for (const a of added) a.reply.catch((e: Error) => void refused.push(e));
  await of.barrier();
  await new Promise((resolve) => setImmediate(resolve)); // the refusals' handlers, queued before the barrier's reply
  for (const a of added) of.forget(a.xid);
  if (of.closed) throw new Error(`OpenFlow bundle ${bundleId}: connection closed before the commit`);
  if (refused.length > 0) {
    await controlRequest(of, bundleId, CTRL.discard).catch(() => undefined);
    throw new Error(`the switch refused a message of OpenFlow bundle ${bundleId}: ${refused[0]!.message}`);
  }
  beforeCommit();
  await controlRequest(of, bundleId, CTRL.commit);
}

/** How many flows the switch holds whose cookie matches `cookie` under `mask`, in every table (OFPMP_AGGREGATE). */
export async function countFlows(of: OpenFlowClient, cookie: bigint, mask: bigint): Promise<number> {
  const body = Buffer.alloc(8 + 32 + 8);
  body.writeUInt16BE(OFPMP_AGGREGATE, 0);
  body.writeUInt8(0xff, 8); // all tables
  body.writeUInt32BE(0xffffffff, 12); // out_port any
  body.writeUInt32BE(0xffffffff, 16); // out_group any
  body.writeBigUInt64BE(cookie, 24);
  body.writeBigUInt64BE(mask, 32);
  body.writeUInt16BE(1, 40); // an empty OXM match
  body.writeUInt16BE(4, 42);
  const reply = await of.request((xid) => msg(OFPT_MULTIPART_REQUEST, xid, body)).reply;
  if (reply.length < 40 || reply.readUInt16BE(8) !== OFPMP_AGGREGATE) throw new Error('OpenFlow aggregate stats: unexpected reply');
  return reply.readUInt32BE(32);
}
