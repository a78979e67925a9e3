/**
 * The agent's flow exporter settings, read as antrea-agent reads them (cmd/antrea-agent/options.go
 * validateFlowExporterConfig, pkg/util/flowexport/flowexport.go; docs/reference/iptables-egress.md §5.2). The gate alone
 * changes the flows (deny tracking); `flowExporter.enable` adds the static collector the runtime exports to.
 */
import type { AgentConfig } from '../../schemas/agentConfig.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { Msg } from '../diagnostics/messages.js';

export type CollectorProto = 'tls' | 'tcp' | 'udp' | 'grpc';

export interface FlowExporterConfig {
  /** The FlowExporter gate: Antrea's deny flows also send the packet to the controller (store-deny). */
  readonly denyTracking: boolean;
  /** Gate and `flowExporter.enable`: connections are exported to `collector`. */
  readonly enabled: boolean;
  readonly collector: { readonly host: string; readonly port: number; readonly proto: CollectorProto };
  readonly pollIntervalMs: number;
  readonly activeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** How long a connection conntrack no longer shows is kept before it is forgotten. */
  readonly staleTimeoutMs: number;
  /** IP protocols exported (`flowExporter.protocolFilter`; all of tcp, udp and sctp when unset). */
  readonly protocols: readonly ('tcp' | 'udp' | 'sctp')[];
}

const DEFAULT_ADDR = 'flow-aggregator/flow-aggregator:4739:tls';
const DEFAULT_PORT = 4739;
const DEFAULT_PROTO: CollectorProto = 'tls';
const DEFAULT_POLL = '5s';
const DEFAULT_ACTIVE = '5s';
const DEFAULT_IDLE = '15s';
const DEFAULT_STALE_MS = 5 * 60_000;

const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in milliseconds (fractions of a millisecond kept); undefined when Go would fail. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let ns = 0;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
    ns += (Number(m[1] || '0') + (m[2] ? Number(`0.${m[2]}`) : 0)) * UNIT_NS[m[3]!]!;
    s = s.slice(m[0].length);
  }
  return (sign * ns) / 1e6;
}

/** ParseFlowCollectorAddr: `host[:port[:proto]]`, an IPv6 host in brackets. */
export function parseCollectorAddr(addr: string): { host: string; port: number; proto: CollectorProto } | string {
  const parts = /^\[.*\]:/.test(addr) ? [addr.slice(1, addr.indexOf(']')), ...addr.slice(addr.indexOf(']') + 2).split(':')] : addr.split(':');
  const port = (p: string): number | undefined => (/^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535 ? Number(p) : undefined);
  if (parts.length === 3) {
    const [host, p, proto] = parts as [string, string, string];
    const n = p === '' ? DEFAULT_PORT : port(p);
    if (n === undefined) return `port ${JSON.stringify(p)} is not a valid port number`;
    if (!['tls', 'tcp', 'udp', 'grpc'].includes(proto)) return `connection over ${proto} transport proto is not supported`;
    return { host, port: n, proto: proto as CollectorProto };
  }
  if (parts.length === 2) {
    const n = port(parts[1]!);
    if (n === undefined) return `port ${JSON.stringify(parts[1])} is not a valid port number`;
    return { host: parts[0]!, port: n, proto: DEFAULT_PROTO };
  }
  if (parts.length === 1) return { host: parts[0]!, port: DEFAULT_PORT, proto: DEFAULT_PROTO };
  return 'flow collector address is given in invalid format';
}

export function normalizeFlowExporter(
  raw: AgentConfig,
  gateOn: boolean,
  report: (d: Pick<Diagnostic, 'severity' | 'code' | 'message'>, field: string, path: (string | number)[]) => void,
): FlowExporterConfig {
  const fe = raw.flowExporter ?? {};
  // The older top-level keys count only where the flowExporter.* key is empty (options.go setDefaults).
  const pick = (key: 'flowCollectorAddr' | 'flowPollInterval' | 'activeFlowExportTimeout' | 'idleFlowExportTimeout', dflt: string): { text: string; field: string; path: string[] } => {
    const own = fe[key];
    if (own) return { text: own, field: `flowExporter.${key}`, path: ['flowExporter', key] };
    const old = raw[key];
    if (old) return { text: old, field: key, path: [key] };
    return { text: dflt, field: `flowExporter.${key}`, path: ['flowExporter', key] };
  };
  const enabled = gateOn && (fe.enable ?? false);
  let collector: FlowExporterConfig['collector'] = { host: 'flow-aggregator/flow-aggregator', port: DEFAULT_PORT, proto: DEFAULT_PROTO };
  const addr = pick('flowCollectorAddr', DEFAULT_ADDR);
  if (enabled) {
    const parsed = parseCollectorAddr(addr.text);
    if (typeof parsed === 'string') report({ severity: 'error', ...Msg.badFlowCollectorAddr(addr.text, parsed) }, addr.field, addr.path);
    else {
      collector = parsed;
      if (parsed.proto === 'tls' || parsed.proto === 'grpc') report({ severity: 'warning', ...Msg.flowCollectorProtoNotExported(parsed.proto) }, addr.field, addr.path);
    }
  }
  const duration = (key: 'flowPollInterval' | 'activeFlowExportTimeout' | 'idleFlowExportTimeout', dflt: string): number => {
    const v = pick(key, dflt);
    const ms = parseGoDuration(v.text);
    if (ms === undefined || (key === 'flowPollInterval' && ms < 1000)) {
      if (gateOn) report({ severity: 'error', ...Msg.badFlowExporterDuration(v.field, v.text, key === 'flowPollInterval') }, v.field, v.path);
      return parseGoDuration(dflt)!;
    }
    return ms;
  };
  const pollIntervalMs = duration('flowPollInterval', DEFAULT_POLL);
  // Timeouts shorter than a poll could never be honoured: Antrea raises them to the poll interval.
  const activeTimeoutMs = Math.max(duration('activeFlowExportTimeout', DEFAULT_ACTIVE), pollIntervalMs);
  const idleTimeoutMs = Math.max(duration('idleFlowExportTimeout', DEFAULT_IDLE), pollIntervalMs);
  const staleTimeoutMs = activeTimeoutMs > DEFAULT_STALE_MS || idleTimeoutMs > DEFAULT_STALE_MS ? 2 * Math.max(activeTimeoutMs, idleTimeoutMs) : DEFAULT_STALE_MS;
  const filter = fe.protocolFilter;
  const protocols = filter ? (['tcp', 'udp', 'sctp'] as const).filter((p) => filter.some((f) => f.toLowerCase() === p)) : (['tcp', 'udp', 'sctp'] as const);
  return { denyTracking: gateOn, enabled, collector, pollIntervalMs, activeTimeoutMs, idleTimeoutMs, staleTimeoutMs, protocols: [...protocols] };
}
