/**
 * What the compile summary says about enabled features dpc does not compile yet: for each, exactly what a bundle
 * lacks compared with what antrea-agent would install, so a reviewer knows which behaviour a bundle does not show.
 */
import type { Features } from './config.js';

interface Gap {
  enabled: (f: Features) => boolean;
  text: string;
}

const GAPS: readonly Gap[] = [
  {
    enabled: (f) => f.antreaProxy,
    text: 'AntreaProxy: Services are not load-balanced (no ServiceLB, EndpointDNAT or Endpoint group entries; traffic to a ClusterIP goes on unchanged; the Service tables keep only the flows Antrea installs at start)',
  },
  {
    // pkg/agent/controller/networkpolicy/fqdn.go installs them whenever AntreaPolicy is on.
    enabled: (f) => f.antreaPolicy,
    text: 'AntreaPolicy: the DNS response interception flows Antrea installs at start (conjunction 1, inert until an FQDN rule gives it addresses); FQDN rules are refused',
  },
  { enabled: (f) => f.proxyAll, text: 'proxyAll: NodePort, LoadBalancer and external-IP traffic is not handled (no NodePort mark flows)' },
  { enabled: (f) => f.egress, text: 'Egress: IPv6 Egress IPs get no flows, SNAT rule or address; the Egress IP is not announced (no gratuitous ARP)' },
  { enabled: (f) => f.l7NetworkPolicy, text: 'L7NetworkPolicy: rules with l7Protocols are refused (no L7 redirect flows, no antrea-l7-tap0 port)' },
  {
    enabled: (f) => f.multicast,
    text: 'Multicast: no multicast forwarding or IGMP flows (the Multicast tables keep their miss flows); IGMP rules are refused',
  },
  {
    enabled: (f) => f.flowExporter,
    text: 'FlowExporter: records are exported by `dpc agent` over TCP or UDP only (no TLS, gRPC or FlowExporterDestination), with Service fields empty; a Reject whose sender is on another Node is not answered',
  },
];

/** One phrase per enabled feature that is not compiled, in a fixed order. */
export function notCompiledFeatures(f: Features): string[] {
  return GAPS.filter((g) => g.enabled(f)).map((g) => g.text);
}
