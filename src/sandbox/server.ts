import type { AccountCondition } from './emulator-account.js';
import type { FaultScenario } from './emulator-faults.js';
import { listenOnLoopback, readRequestBody } from './loopback.js';
import type { ConnectorDescriptor, EmulatorPace, MountedEmulator } from '../domain/connector.js';
import { generatePopulation, parsePopulationOptions } from './population.js';
import type { PopulationOptions } from './population-types.js';
import { WorldClock, type AdvanceRequest, type AdvanceTruth } from './world-clock.js';
import { SANDBOX_ADMIN_PREFIX, sandboxAdmin } from './admin-endpoint.js';

export interface Sandbox {
  url: string;
  /** Environment lines that point segsync at every emulator. */
  env: Record<string, string>;
  emulators: Map<string, MountedEmulator>;
  population: PopulationOptions;
  /** The world clock (ISO), the anchor and the days advanced so far. */
  clock(): { clock: string; anchor: string; advancedDays: number };
  /**
   * Moves the world clock forward (world-clock.ts), as `POST /_sandbox/advance` does; throws an
   * AdvanceError naming the field on a bad request.
   */
  advance(request: AdvanceRequest): AdvanceTruth;
  /** Lifts the rate limits of the emulators that have one to lift (see MountedEmulator.liftRateLimits). */
  liftRateLimits(): void;
  close(): Promise<void>;
}

export interface SandboxOptions {
  registry: readonly ConnectorDescriptor<never>[];
  port?: number;
  /** Loopback by default: the emulators accept a fixed, public token. */
  host?: string;
  seed?: number;
  size?: number;
  anchor?: Date;
  /** `fast` lifts the emulators' rate limits (tests); the default enforces the real ones. */
  pace?: EmulatorPace;
  /** Trouble every emulator makes (each in its platform's form), e.g. for trying segsync's resilience by hand. */
  faults?: readonly FaultScenario[];
  /** States of real accounts the emulators answer as (missing scopes, a frozen shop, ...). */
  account?: readonly AccountCondition[];
}

/** One HTTP server mounting every connector's emulator under its prefix (/hubspot, ...). */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const population = parsePopulationOptions({
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.size !== undefined ? { size: options.size } : {}),
    ...(options.anchor ? { anchor: options.anchor } : {}),
  });
  const clock = new WorldClock(population);
  const worldNow = () => clock.now();
  const mounts: Array<{ prefix: string; emulator: MountedEmulator }> = [];
  const emulators = new Map<string, MountedEmulator>();
  for (const descriptor of options.registry) {
    if (!descriptor.emulator) continue;
    const emulator = descriptor.emulator.create(generatePopulation(population), options.pace ?? 'realistic', options.account, worldNow);
    for (const scenario of options.faults ?? []) emulator.injectScenario(scenario);
    mounts.push({ prefix: descriptor.emulator.mount, emulator });
    emulators.set(descriptor.id, emulator);
  }
  const server = await listenOnLoopback((req, res) => {
    const url = req.url ?? '/';
    if (url === SANDBOX_ADMIN_PREFIX || url.startsWith(`${SANDBOX_ADMIN_PREFIX}/`)) {
      void sandboxAdmin(req, res, url.slice(SANDBOX_ADMIN_PREFIX.length), { clock, emulators, readBody: () => readRequestBody(req) });
      return;
    }
    const mount = mounts.find((m) => url === m.prefix || url.startsWith(`${m.prefix}/`) || url.startsWith(`${m.prefix}?`));
    if (!mount) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `no emulator at ${url}; mounted: ${mounts.map((m) => m.prefix).join(', ')}` }));
      return;
    }
    mount.emulator.handle(req, res, url.slice(mount.prefix.length) || '/');
  }, options.port ?? 0, options.host ?? '127.0.0.1');
  const url = server.url;
  const env: Record<string, string> = {};
  for (const descriptor of options.registry) Object.assign(env, descriptor.emulator?.env(url, options.pace ?? 'realistic'));
  return {
    url,
    env,
    emulators,
    population,
    clock: () => clock.describe(),
    advance: (request) => clock.advance(emulators, request),
    liftRateLimits: () => {
      for (const emulator of emulators.values()) emulator.liftRateLimits?.();
    },
    close: () => server.close(),
  };
}
