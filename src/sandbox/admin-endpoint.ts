/**
 * The sandbox's admin endpoint, under /_sandbox:
 *   GET  /_sandbox/clock    → { clock, anchor, advancedDays }
 *   POST /_sandbox/advance  { "days": 60, "uplift": 0.15, "lists": ["segsync · Champions"] }
 *                           → the ground truth of the advance (world-clock.ts AdvanceTruth)
 * Only from loopback addresses (403 otherwise, even when the sandbox is bound to 0.0.0.0): moving
 * the world and reading its truth is for whoever runs the sandbox, never for the network.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MountedEmulator } from '../domain/connector.js';
import { AdvanceError, parseAdvanceRequest, type WorldClock } from './world-clock.js';

export const SANDBOX_ADMIN_PREFIX = '/_sandbox';

export interface AdminDeps {
  clock: WorldClock;
  emulators: ReadonlyMap<string, MountedEmulator>;
  readBody: () => Promise<string>;
}

export interface AdminReply {
  status: number;
  body: unknown;
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped IPv6 forms. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** The answer to one admin request (`path` is what follows /_sandbox). */
export async function answerAdmin(method: string, path: string, remoteAddress: string | undefined, deps: AdminDeps): Promise<AdminReply> {
  if (!isLoopbackAddress(remoteAddress)) {
    return { status: 403, body: { message: `the sandbox admin endpoint answers loopback callers only (this request came from ${remoteAddress ?? 'an unknown address'})` } };
  }
  const route = path.split('?')[0] ?? '';
  if (route === '/clock') {
    if (method !== 'GET') return { status: 405, body: { message: 'use GET /_sandbox/clock' } };
    return { status: 200, body: deps.clock.describe() };
  }
  if (route === '/advance') {
    if (method !== 'POST') return { status: 405, body: { message: 'use POST /_sandbox/advance with a JSON body {"days": N, "uplift": 0.15, "lists": [...]}' } };
    const text = await deps.readBody();
    let json: unknown;
    try {
      json = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return { status: 400, body: { message: 'body: not JSON; send {"days": N, "uplift": 0.15, "lists": [...]}' } };
    }
    const parsed = parseAdvanceRequest(json);
    if (!parsed.ok) return { status: 400, body: { message: parsed.message } };
    try {
      return { status: 200, body: deps.clock.advance(deps.emulators, parsed.request) };
    } catch (err) {
      if (err instanceof AdvanceError) return { status: 400, body: { message: err.message } };
      throw err;
    }
  }
  return { status: 404, body: { message: `no admin route ${route}; known: GET /_sandbox/clock, POST /_sandbox/advance` } };
}

export async function sandboxAdmin(req: IncomingMessage, res: ServerResponse, path: string, deps: AdminDeps): Promise<void> {
  let reply: AdminReply;
  try {
    reply = await answerAdmin((req.method ?? 'GET').toUpperCase(), path, req.socket.remoteAddress, deps);
  } catch (err) {
    reply = { status: 500, body: { message: `sandbox advance failed: ${err instanceof Error ? err.message : String(err)}` } };
  }
  res.writeHead(reply.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(reply.body));
}
