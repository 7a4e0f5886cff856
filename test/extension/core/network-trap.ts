// Records (and fails) every way Node code can open an outbound connection or resolve a name.
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';

export interface NetworkTrap {
  attempts: string[];
  restore(): void;
}

type Patch = [object, string, unknown];

export function trapNetwork(): NetworkTrap {
  const attempts: string[] = [];
  const saved: Patch[] = [];
  const patch = (obj: object, key: string, name: string): void => {
    const rec = obj as Record<string, unknown>;
    saved.push([obj, key, rec[key]]);
    rec[key] = (...args: unknown[]): never => {
      attempts.push(`${name}(${describe(args[0])})`);
      throw new Error(`network access attempted: ${name}`);
    };
  };
  patch(net.Socket.prototype, 'connect', 'net.Socket.connect');
  patch(net, 'connect', 'net.connect');
  patch(net, 'createConnection', 'net.createConnection');
  patch(tls, 'connect', 'tls.connect');
  patch(http, 'request', 'http.request');
  patch(http, 'get', 'http.get');
  patch(https, 'request', 'https.request');
  patch(https, 'get', 'https.get');
  patch(dns, 'lookup', 'dns.lookup');
  patch(dns, 'resolve', 'dns.resolve');
  patch(dns.promises, 'lookup', 'dns.promises.lookup');
  patch(globalThis, 'fetch', 'fetch');
  return {
    attempts,
    restore() {
      for (const [obj, key, value] of saved.reverse()) (obj as Record<string, unknown>)[key] = value;
    },
  };
}

function describe(a: unknown): string {
  if (typeof a === 'string') return a;
  if (a instanceof URL) return a.toString();
  if (a && typeof a === 'object') {
    const o = a as { host?: unknown; hostname?: unknown; port?: unknown; path?: unknown };
    return `${String(o.hostname ?? o.host ?? '')}:${String(o.port ?? '')}${o.path ? String(o.path) : ''}`;
  }
  return String(a);
}
