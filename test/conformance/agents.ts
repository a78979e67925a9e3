// One `dpc agent` per Node (runtime/agent, the code the command runs), in the runner's process, for cases whose
// bundles hold a Reject rule or whose checks read flow records. The runner has loaded each bundle into its switch
// itself (cluster.ts), so the agents are built with `apply: false` and only read the bundle: they answer Reject
// packet-ins and, when a collector is given, export flow records. Each agent is attached to its ClusterNode, whose
// settle() then also waits for the agent's answers (probe.ts finds them at the source Pod's port).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Agent } from '../../runtime/agent/agent.js';
import type { NodeBundle } from '../../targets/bundle/bundle.js';
import type { Cluster } from './cluster.js';

export type CollectorFor = (node: string) => Promise<{ host: string; port: number }>;

/** Whether a compiled step holds a rule whose packets the agent must answer. */
export function hasRejectRule(bundles: readonly NodeBundle[]): boolean {
  return bundles.some((b) => {
    const text = b.files.get('visibility/rules.json');
    if (text === undefined) return false;
    const doc = JSON.parse(text) as { rules?: { action?: string }[] };
    return (doc.rules ?? []).some((r) => r.action === 'Reject');
  });
}

export class Agents {
  private readonly agents = new Map<string, Agent>();
  private readonly root = mkdtempSync(join(tmpdir(), 'dpc-agents-'));
  readonly log: string[] = [];

  constructor(private readonly collectorFor?: CollectorFor) {}

  get(node: string): Agent | undefined {
    return this.agents.get(node);
  }

  /** Writes each Node's bundle where its agent reads it, and starts or reloads the agents. */
  async sync(cluster: Cluster, bundles: readonly NodeBundle[]): Promise<void> {
    for (const b of bundles) {
      const dir = join(this.root, b.node);
      for (const [path, text] of b.files) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const node = cluster.nodes.get(b.node);
      if (!node) continue;
      const have = this.agents.get(b.node);
      if (have) {
        await have.reload();
        continue;
      }
      const collector = this.collectorFor ? await this.collectorFor(b.node) : undefined;
      const agent = new Agent(dir, {
        node: b.node,
        db: `unix:${join(node.ovs.dir, 'db.sock')}`,
        format: 'text',
        apply: false,
        ...(collector ? { collector } : {}),
        log: (l) => this.log.push(`${b.node}: ${l}`),
      });
      this.agents.set(b.node, agent);
      await agent.start();
      node.agent = agent;
    }
  }

  async stop(): Promise<void> {
    for (const agent of this.agents.values()) await agent.stop();
    this.agents.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}
