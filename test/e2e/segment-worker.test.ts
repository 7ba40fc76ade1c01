import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { pull, segment, segmentInWorker } from '../../src/pipeline/run.js';
import { latestSegmentationRun } from '../../src/store/segmentation-runs.js';
import { hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

describe('segmentation in a worker thread', () => {
  let world: HubSpotWorld | undefined;
  afterEach(async () => {
    vi.unstubAllEnvs();
    await world?.close();
    world = undefined;
  });

  it('gives the same summary as on the main thread', async () => {
    world = await hubspotWorld({ size: 80 });
    const session = world.open();
    await pull(session, { full: true, signal });
    const here = segment(session);
    const there = await segmentInWorker(session);
    expect(there.runId).toBe(here.runId + 1);
    // The second run finds everyone already in their segments: nothing enters.
    expect(there.entered).toBe(0);
    expect({ ...there, runId: 0, entered: 0 }).toEqual({ ...here, runId: 0, entered: 0 });
    expect(latestSegmentationRun(session.db)?.id).toBe(there.runId);
  });

  it('a bad config found while segmenting comes back as the same ConfigError, and nothing is stored', async () => {
    world = await hubspotWorld({ size: 80 });
    const session = world.open();
    await pull(session, { full: true, signal });
    // Two currencies and no rates: segsync refuses to add them up.
    session.db.prepare("UPDATE purchases SET currency = CASE WHEN substr(external_id, -1) IN ('0', '2', '4', '6', '8') THEN 'EUR' ELSE 'USD' END").run();
    const inThread = (() => {
      try {
        segment(session);
      } catch (error) {
        return error as Error;
      }
      throw new Error('segment() did not fail');
    })();
    const fromWorker = await segmentInWorker(session).then(() => undefined, (error: unknown) => error as Error);
    expect(fromWorker).toBeInstanceOf(ConfigError);
    expect(fromWorker!.message).toBe(inThread.message);
    expect(fromWorker!.message).toMatch(/^purchases come in EUR, USD|^purchases come in USD, EUR/);
    expect(latestSegmentationRun(session.db)).toBeUndefined();
  });

  it('an abort ends the worker, even one busy computing: the caller gets the reason and no run is stored', async () => {
    world = await hubspotWorld({ size: 80 });
    const session = world.open();
    await pull(session, { full: true, signal });
    // The worker resolves profiles, then holds (as a long computation would) until a file that never comes.
    vi.stubEnv('SEGSYNC_TEST_HOLD_SEGMENTATION', join(mkdtempSync(join(tmpdir(), 'segsync-hold-')), 'never'));
    const controller = new AbortController();
    const running = segmentInWorker(session, { signal: controller.signal });
    const resolved = () => (session.db.prepare('SELECT COUNT(*) AS n FROM identities').get() as { n: number }).n > 0;
    for (let i = 0; i < 600 && !resolved(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(resolved()).toBe(true);
    controller.abort(new Error('interrupted'));
    await expect(running).rejects.toThrow(/^interrupted$/);
    expect(latestSegmentationRun(session.db)).toBeUndefined();
  });
});
