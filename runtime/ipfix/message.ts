/**
 * IPFIX (RFC 7011) messages as go-ipfix writes them for Antrea: one set per message, no padding, sequence number =
 * data records sent before this message in the session, variable-length strings with a 1-byte length (or 255 and a
 * 2-byte length).
 */
import { templateLength, VARIABLE_LENGTH, type ElementType, type InfoElement, type RecordValues } from './elements.js';

export const IPFIX_VERSION = 10;
export const TEMPLATE_SET_ID = 2;
const HEADER = 16;
const SET_HEADER = 4;

export interface MessageHeader {
  readonly exportTime: number;
  readonly sequence: number;
  readonly domain: number;
}

function frame(setId: number, body: Buffer, h: MessageHeader): Buffer {
  const out = Buffer.alloc(HEADER + SET_HEADER + body.length);
  out.writeUInt16BE(IPFIX_VERSION, 0);
  out.writeUInt16BE(out.length, 2);
  out.writeUInt32BE(h.exportTime >>> 0, 4);
  out.writeUInt32BE(h.sequence >>> 0, 8);
  out.writeUInt32BE(h.domain >>> 0, 12);
  out.writeUInt16BE(setId, 16);
  out.writeUInt16BE(SET_HEADER + body.length, 18);
  body.copy(out, HEADER + SET_HEADER);
  return out;
}

export function encodeTemplateMessage(templateId: number, elements: readonly InfoElement[], h: MessageHeader): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4);
  head.writeUInt16BE(templateId, 0);
  head.writeUInt16BE(elements.length, 2);
  parts.push(head);
  for (const el of elements) {
    const spec = Buffer.alloc(el.enterprise ? 8 : 4);
    spec.writeUInt16BE(el.enterprise ? el.id | 0x8000 : el.id, 0);
    spec.writeUInt16BE(templateLength(el.type), 2);
    if (el.enterprise) spec.writeUInt32BE(el.enterprise, 4);
    parts.push(spec);
  }
  return frame(TEMPLATE_SET_ID, Buffer.concat(parts), h);
}

function ipBytes(text: string, family: 4 | 6): Buffer {
  if (family === 4) {
    const parts = text.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return Buffer.alloc(4);
    return Buffer.from(parts);
  }
  const out = Buffer.alloc(16);
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16) & 0xffff, i * 2));
  return out;
}

function encodeValue(type: ElementType, v: number | bigint | string | undefined): Buffer {
  switch (type) {
    case 'unsigned8':
      return Buffer.from([Number(v ?? 0) & 0xff]);
    case 'unsigned16': {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(Number(v ?? 0) & 0xffff);
      return b;
    }
    case 'unsigned32':
    case 'dateTimeSeconds': {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(Number(v ?? 0) >>> 0);
      return b;
    }
    case 'unsigned64': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(v ?? 0)));
      return b;
    }
    case 'ipv4Address':
      return ipBytes(String(v ?? '0.0.0.0'), 4);
    case 'ipv6Address':
      return ipBytes(String(v ?? '::'), 6);
    case 'string': {
      const bytes = Buffer.from(String(v ?? ''), 'utf8').subarray(0, VARIABLE_LENGTH - 1);
      if (bytes.length < 255) return Buffer.concat([Buffer.from([bytes.length]), bytes]);
      const len = Buffer.alloc(3);
      len[0] = 255;
      len.writeUInt16BE(bytes.length, 1);
      return Buffer.concat([len, bytes]);
    }
  }
}

/** One data record in its own message, as Antrea's exporter sends each connection. */
export function encodeDataMessage(templateId: number, elements: readonly InfoElement[], values: RecordValues, h: MessageHeader): Buffer {
  return frame(templateId, Buffer.concat(elements.map((el) => encodeValue(el.type, values[el.name]))), h);
}

// ---------------------------------------------------------------------------------------------
// Decoding: what a collector does, for tests and the conformance runner's collector.

export interface FieldSpec {
  readonly enterprise: number;
  readonly id: number;
  readonly length: number;
}

export interface DecodedRecord {
  readonly domain: number;
  readonly templateId: number;
  readonly sequence: number;
  readonly exportTime: number;
  /** Raw field values in template order. */
  readonly fields: readonly { readonly spec: FieldSpec; readonly value: Buffer }[];
}

/**
 * A collector's view of one transport session: templates learnt from template sets, data records decoded through
 * them. Feed it bytes as they arrive (TCP) or one datagram at a time (UDP).
 */
export class IpfixSession {
  private pending: Buffer = Buffer.alloc(0);
  private readonly templates = new Map<string, FieldSpec[]>();
  readonly records: DecodedRecord[] = [];
  /** Data sets whose template this session has not seen, by `domain/templateId`. */
  readonly unknownTemplates = new Set<string>();

  push(bytes: Buffer): DecodedRecord[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes;
    const got: DecodedRecord[] = [];
    while (this.pending.length >= HEADER) {
      const version = this.pending.readUInt16BE(0);
      const length = this.pending.readUInt16BE(2);
      if (version !== IPFIX_VERSION || length < HEADER) throw new Error(`not an IPFIX message (version ${version}, length ${length})`);
      if (this.pending.length < length) break;
      got.push(...this.message(this.pending.subarray(0, length)));
      this.pending = this.pending.subarray(length);
    }
    this.records.push(...got);
    return got;
  }

  private message(m: Buffer): DecodedRecord[] {
    const exportTime = m.readUInt32BE(4);
    const sequence = m.readUInt32BE(8);
    const domain = m.readUInt32BE(12);
    const out: DecodedRecord[] = [];
    for (let off = HEADER; off + SET_HEADER <= m.length; ) {
      const setId = m.readUInt16BE(off);
      const setLen = m.readUInt16BE(off + 2);
      if (setLen < SET_HEADER || off + setLen > m.length) throw new Error(`IPFIX set ${setId} overruns its message`);
      const body = m.subarray(off + SET_HEADER, off + setLen);
      if (setId === TEMPLATE_SET_ID) this.templateSet(domain, body);
      else if (setId >= 256) out.push(...this.dataSet(domain, setId, body, sequence, exportTime));
      off += setLen;
    }
    return out;
  }

  private templateSet(domain: number, body: Buffer): void {
    for (let off = 0; off + 4 <= body.length; ) {
      const id = body.readUInt16BE(off);
      const count = body.readUInt16BE(off + 2);
      off += 4;
      const specs: FieldSpec[] = [];
      for (let i = 0; i < count; i++) {
        const raw = body.readUInt16BE(off);
        const length = body.readUInt16BE(off + 2);
        off += 4;
        let enterprise = 0;
        if (raw & 0x8000) {
          enterprise = body.readUInt32BE(off);
          off += 4;
        }
        specs.push({ enterprise, id: raw & 0x7fff, length });
      }
      this.templates.set(`${domain}/${id}`, specs);
    }
  }

  private dataSet(domain: number, templateId: number, body: Buffer, sequence: number, exportTime: number): DecodedRecord[] {
    const specs = this.templates.get(`${domain}/${templateId}`);
    if (!specs) {
      this.unknownTemplates.add(`${domain}/${templateId}`);
      return [];
    }
    const out: DecodedRecord[] = [];
    let off = 0;
    const minLen = specs.reduce((n, s) => n + (s.length === VARIABLE_LENGTH ? 1 : s.length), 0);
    while (body.length - off >= minLen && minLen > 0) {
      const fields: { spec: FieldSpec; value: Buffer }[] = [];
      for (const spec of specs) {
        let len = spec.length;
        if (len === VARIABLE_LENGTH) {
          len = body[off]!;
          off += 1;
          if (len === 255) {
            len = body.readUInt16BE(off);
            off += 2;
          }
        }
        fields.push({ spec, value: body.subarray(off, off + len) });
        off += len;
      }
      out.push({ domain, templateId, sequence, exportTime, fields });
    }
    return out;
  }
}

/** A field's value by (enterprise, element ID), decoded as the element's type says. */
export function fieldValue(r: DecodedRecord, enterprise: number, id: number, type: ElementType): number | bigint | string | undefined {
  const f = r.fields.find((x) => x.spec.enterprise === enterprise && x.spec.id === id);
  if (!f) return undefined;
  const v = f.value;
  switch (type) {
    case 'string':
      return v.toString('utf8');
    case 'ipv4Address':
      return [...v].join('.');
    case 'ipv6Address':
      return Array.from({ length: 8 }, (_, i) => v.readUInt16BE(i * 2).toString(16)).join(':');
    case 'unsigned64':
      return v.length === 8 ? v.readBigUInt64BE() : BigInt(`0x${v.toString('hex') || '0'}`);
    default:
      return v.length === 0 ? 0 : v.readUIntBE(0, Math.min(v.length, 6));
  }
}
