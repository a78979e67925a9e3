/**
 * Syntax checks Kubernetes applies to label keys and values, port names and CIDRs. Each returns why a value is
 * wrong, or undefined when it is fine.
 */
import { parseCidr, parseIP, type Cidr, type IPAddr } from '../../net/ip.js';

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A qualified name: `[prefix/]name`, as label keys must be. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'it may hold at most one "/", between an optional DNS prefix and the name';
  const name = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') return 'the prefix before "/" is empty';
    if (prefix.length > 253) return 'the prefix before "/" is longer than 253 characters';
    if (!SUBDOMAIN.test(prefix)) return 'the prefix before "/" must be a lowercase DNS subdomain';
  }
  if (name === '') return 'the name part is empty';
  if (name.length > 63) return 'the name part is longer than 63 characters';
  if (!NAME_PART.test(name)) {
    return 'the name part may hold only letters, digits, "-", "_" and ".", and must begin and end with a letter or digit';
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'it is longer than 63 characters';
  if (!LABEL_VALUE.test(value)) {
    return 'it may hold only letters, digits, "-", "_" and ".", and must begin and end with a letter or digit';
  }
  return undefined;
}

/** An IANA service name, as a named container port must be. */
export function portNameProblem(name: string): string | undefined {
  if (name.length > 15) return 'it is longer than 15 characters';
  if (!/^[-a-z0-9]+$/.test(name)) return 'it may hold only lowercase letters, digits and "-"';
  if (!/[a-z]/.test(name)) return 'it needs at least one letter';
  if (name.includes('--')) return 'it cannot hold "--"';
  if (name.startsWith('-') || name.endsWith('-')) return 'it cannot begin or end with "-"';
  return undefined;
}

/** A CIDR as Go's net.ParseCIDR reads it: host bits may be set, IPv4 parts have no leading zeros. */
export function parseCidrText(text: string): Cidr | undefined {
  return parseCidr(text, false);
}

/** The address part of a CIDR as written (host bits kept), for the multicast test. */
export function cidrAddress(text: string): IPAddr | undefined {
  const slash = text.indexOf('/');
  return parseIP(slash < 0 ? text : text.slice(0, slash));
}

export function isMulticast(ip: IPAddr): boolean {
  if (ip.family === 4) return ip.value >> 28n === 0xen;
  return ip.value >> 120n === 0xffn;
}

export function isValidPortNumber(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}
