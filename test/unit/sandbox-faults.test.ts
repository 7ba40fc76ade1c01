import { describe, expect, it } from 'vitest';
import { parseFaults } from '../../src/cli/commands/sandbox.js';
import { CONNECTORS } from '../../connectors/index.js';
import { startSandbox } from '../../src/sandbox/server.js';

describe('segsync sandbox --faults', () => {
  it('reads a comma-separated list of fault kinds with optional counts', () => {
    expect(parseFaults('throttle-burst, resets:10')).toEqual([{ kind: 'throttle-burst' }, { kind: 'resets', count: 10 }]);
  });

  it('refuses an unknown fault or a bad count, naming what is allowed', () => {
    expect(() => parseFaults('earthquake')).toThrow(/"earthquake" is not a fault; use one of throttle-burst, server-errors, resets, slow, malformed-records, token-expiry, concurrent-writer/);
    expect(() => parseFaults('resets:0')).toThrow(/must be a whole number from 1/);
  });

  it('gives every emulator the scenario, which it then injects', async () => {
    const sandbox = await startSandbox({ registry: CONNECTORS, size: 20, pace: 'fast', faults: [{ kind: 'server-errors', count: 1 }] });
    try {
      const hubspot = await fetch(`${sandbox.env.HUBSPOT_BASE_URL}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}` } });
      expect(hubspot.status).toBeGreaterThanOrEqual(500);
      for (const emulator of sandbox.emulators.values()) expect(typeof emulator.faultsInjected()).toBe('number');
      expect(sandbox.emulators.get('hubspot')!.faultsInjected()).toBe(1);
    } finally {
      await sandbox.close();
    }
  });
});
