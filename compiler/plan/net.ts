/**
 * Host network records (docs/design.md §3, `net/routes.txt`): links, addresses, routes and policy rules a Node's bundle
 * installs, rendered as `ip -batch` input by targets/net.
 */
import type { Cidr, Family, IPAddr } from '../net/ip.js';

export type NetRecord =
  | { readonly kind: 'link'; readonly name: string; readonly type: 'dummy' }
  | { readonly kind: 'link'; readonly name: string; readonly type: 'vlan'; readonly parent: string; readonly vlan: number }
  | { readonly kind: 'address'; readonly device: string; readonly ip: IPAddr; readonly prefix: number }
  | { readonly kind: 'route'; readonly table: number; readonly dest: Cidr | 'default'; readonly via?: IPAddr; readonly device: string; readonly scopeLink?: boolean }
  | { readonly kind: 'rule'; readonly family: Family; readonly mark: number; readonly table: number };
