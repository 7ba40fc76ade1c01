import { afterEach, describe, expect, it } from 'vitest';
import { pull } from '../../src/pipeline/run.js';
import { marketoWorld, signal, type MarketoWorld } from '../helpers/marketo-world.js';

let world: MarketoWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const count = (world: MarketoWorld, prefix: string) => world.emulator.requests.filter((r) => r.path.startsWith(prefix)).length;

describe('Marketo pulls resume where they stopped', () => {
  it('a pull stopped in the middle of the bulk extract resumes at the next window; opportunities extract only the windows read before the stop', async () => {
    // How many windows a pull that is never stopped exports.
    const clean = await marketoWorld({ size: 150 });
    try {
      await pull(clean.open(), { full: true, signal });
    } finally {
      await clean.close();
    }
    const windows = count(clean, '/bulk/v1/leads/export/create.json');

    world = await marketoWorld({ size: 150 });
    const session = world.open();
    const stop = new AbortController();
    let files = 0;
    world.emulator.onRequest = ({ path }) => {
      if (path.includes('/file.json') && ++files === 20) stop.abort(new Error('killed'));
    };
    await expect(pull(session, { full: true, signal: stop.signal })).rejects.toThrow('killed');
    world.emulator.onRequest = undefined;
    const storedBefore = (session.db.prepare("SELECT COUNT(*) AS n FROM contacts WHERE platform = 'marketo'").get() as { n: number }).n;
    expect(storedBefore).toBeGreaterThan(0);
    expect(storedBefore).toBeLessThan(world.emulator.listLeads().length);

    world.emulator.resetRequestLog();
    const result = await pull(session, { full: false, signal });
    expect(result.streams.find((s) => s.stream === 'contacts')!.mode).toBe('full');
    const total = (session.db.prepare("SELECT COUNT(*) AS n FROM contacts WHERE platform = 'marketo'").get() as { n: number }).n;
    expect(total).toBe(world.emulator.listLeads().length);
    const opportunities = world.emulator.listLeads().reduce((n, l) => n + world!.emulator.opportunitiesForLead(l.id).length, 0);
    expect(result.streams.find((s) => s.stream === 'purchases')!.received).toBe(opportunities);
    // The contacts pull exported only the windows it had not stored (reusing the jobs it had
    // made); the purchases stream extracted ids only for the windows stored before the stop.
    const log = world.emulator.requests;
    const firstRoles = log.findIndex((r) => r.path.startsWith('/rest/v1/opportunities/roles.json'));
    const creates = (from: number, to: number) => log.slice(from, to).filter((r) => r.path.startsWith('/bulk/v1/leads/export/create.json')).length;
    expect(creates(0, firstRoles)).toBeLessThanOrEqual(windows - 19);
    expect(creates(firstRoles, log.length)).toBeLessThanOrEqual(20);
  });

  it('a pull stopped while reading opportunities resumes them with its own lead-id extract', async () => {
    world = await marketoWorld({ size: 150 });
    const session = world.open();
    const stop = new AbortController();
    world.emulator.onRequest = ({ path }) => {
      if (path.startsWith('/rest/v1/opportunities.json')) stop.abort(new Error('killed'));
    };
    await expect(pull(session, { full: true, signal: stop.signal })).rejects.toThrow('killed');
    world.emulator.onRequest = undefined;
    world.emulator.resetRequestLog();
    const result = await pull(session, { full: false, signal });
    const purchases = result.streams.find((s) => s.stream === 'purchases')!;
    expect(purchases.mode).toBe('full');
    const leads = world.emulator.listLeads();
    const opportunities = leads.reduce((n, l) => n + world!.emulator.opportunitiesForLead(l.id).length, 0);
    expect(purchases.received).toBe(opportunities);
    // Contacts were complete: only changes were asked for; the lead ids came from an id-only extract.
    expect(result.streams.find((s) => s.stream === 'contacts')!.mode).toBe('incremental');
    expect(count(world, '/bulk/v1/leads/export/create.json')).toBeGreaterThan(0);
    const stored = (session.db.prepare("SELECT COUNT(*) AS n FROM purchases WHERE platform = 'marketo'").get() as { n: number }).n;
    const quarantined = (session.db.prepare("SELECT COUNT(*) AS n FROM quarantine WHERE platform = 'marketo' AND stream = 'purchases'").get() as { n: number }).n;
    expect(stored + quarantined).toBe(opportunities);
  });
});
