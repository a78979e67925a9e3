// A persistent JSON-RPC connection to a daemon's unixctl socket (what ovs-appctl speaks), so that the many small
// commands a conformance run sends (netdev-dummy/receive, version, dpctl/...) cost a socket round trip instead of
// a process spawn each. Requests are answered in order; replies are matched by id anyway.

import { createConnection, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Pending {
  resolve: (value: string) => void;
  reject: (err: Error) => void;
  what: string;
}

const TIMEOUT_MS = 30_000;

/** Splits a stream of concatenated JSON objects (no delimiters, as unixctl sends them) into whole objects. */
export class JsonStreamSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scanned = 0;

  push(chunk: string): string[] {
    this.buf += chunk;
    const out: string[] = [];
    let start = 0;
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          out.push(this.buf.slice(start, i + 1).trim());
          start = i + 1;
        }
      }
    }
    this.buf = this.buf.slice(start);
    this.scanned = this.buf.length;
    return out;
  }
}

export class Unixctl {
  private readonly socket: Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly splitter = new JsonStreamSplitter();
  private nextId = 1;
  private closed: Error | undefined;
  private readonly ready: Promise<void>;

  private constructor(readonly path: string) {
    this.socket = createConnection(path);
    this.socket.setEncoding('utf8');
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: string) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error(`unixctl ${path}: connection closed`)));
  }

  /** Connects to ovs-vswitchd's control socket in an OVS run dir (ovs-vswitchd.<pid>.ctl). */
  static async connectVswitchd(runDir: string, pid: number): Promise<Unixctl> {
    let name = `ovs-vswitchd.${pid}.ctl`;
    if (!readdirSync(runDir).includes(name)) {
      const found = readdirSync(runDir).find((f) => /^ovs-vswitchd\.\d+\.ctl$/.test(f));
      if (!found) throw new Error(`no ovs-vswitchd control socket in ${runDir}`);
      name = found;
    }
    const ctl = new Unixctl(join(runDir, name));
    await ctl.ready;
    return ctl;
  }

  private onData(chunk: string): void {
    for (const text of this.splitter.push(chunk)) {
      let msg: { id?: number; result?: unknown; error?: unknown };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        continue;
      }
      if (typeof msg.id !== 'number') continue;
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      if (msg.error !== null && msg.error !== undefined) {
        p.reject(new Error(`${p.what}: ${String(msg.error).trim()}`));
      } else {
        p.resolve(typeof msg.result === 'string' ? msg.result : JSON.stringify(msg.result ?? ''));
      }
    }
  }

  private fail(err: Error): void {
    this.closed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Runs one command, as `ovs-appctl METHOD PARAMS...` would; rejects with the daemon's error text. */
  call(method: string, ...params: string[]): Promise<string> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    const what = `${method}${params.length && method !== 'netdev-dummy/receive' ? ` ${params.join(' ')}` : ''}`;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new Error(`${what}: no answer within ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
      timer.unref();
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        what,
      });
      this.socket.write(JSON.stringify({ method, params, id }));
    });
  }

  close(): void {
    this.closed ??= new Error('unixctl closed');
    this.socket.destroy();
  }
}
