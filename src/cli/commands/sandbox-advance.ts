import { z } from 'zod';
import { CONNECTORS } from '../../../connectors/index.js';
import { ConfigError } from '../../config/errors.js';
import { sandboxUrlFrom } from '../../init/sandbox-env.js';
import { reportError } from '../context.js';

export interface SandboxAdvanceFlags {
  uplift?: number;
  list?: string[];
  url?: string;
  json?: boolean;
}

const Conversions = z.object({
  baselineConversions: z.number(),
  realisedConversions: z.number(),
  expectedBaselineConversions: z.number(),
  expectedRealisedConversions: z.number(),
  expectedLift: z.number().nullable(),
});

/** The sandbox's answer (src/sandbox/world-clock.ts AdvanceTruth); unknown fields pass through to --json. */
const AdvanceReplySchema = z.looseObject({
  from: z.string(),
  clock: z.string(),
  days: z.number(),
  uplift: z.number(),
  lists: z.array(Conversions.extend({ list: z.string(), treated: z.number() })),
  treated: Conversions.extend({ people: z.number() }),
  untreated: z.object({ people: z.number(), conversions: z.number() }),
  newPurchases: z.record(z.string(), z.number()),
  plantedPurchases: z.number(),
  events: z.number(),
  unsubscribes: z.number(),
});
const ErrorReplySchema = z.object({ message: z.string() });

/** "--list a --list b" collects names. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Asks a running `segsync sandbox` to live `days` more days (POST /_sandbox/advance) and prints the ground truth. */
export async function sandboxAdvanceCommand(days: number, flags: SandboxAdvanceFlags): Promise<void> {
  const json = flags.json === true;
  try {
    const base = (flags.url ?? sandboxUrlFrom(process.env, CONNECTORS)).replace(/\/+$/, '');
    const body = { days, ...(flags.uplift !== undefined ? { uplift: flags.uplift } : {}), ...(flags.list?.length ? { lists: flags.list } : {}) };
    let response: Response;
    try {
      response = await fetch(`${base}/_sandbox/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch (error) {
      throw new Error(`no sandbox answers at ${base} (${(error as Error).message}); start one with \`segsync sandbox\`, or pass its address with --url`);
    }
    const text = await response.text();
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new Error(`${base}/_sandbox/advance answered ${response.status} with something other than JSON: is --url a segsync sandbox?`);
    }
    if (!response.ok) {
      const message = ErrorReplySchema.safeParse(payload).data?.message ?? `HTTP ${response.status}`;
      // A request the sandbox refuses (a bad value, an unknown list) is the caller's to fix.
      if (response.status === 400) throw new ConfigError(`sandbox advance: ${message}`);
      throw new Error(`sandbox advance: ${message}`);
    }
    const truth = AdvanceReplySchema.parse(payload);
    if (json) {
      process.stdout.write(`${JSON.stringify({ ok: true, ...truth }, null, 2)}\n`);
      return;
    }
    const rate = (n: number, of: number) => (of === 0 ? '–' : `${((100 * n) / of).toFixed(1)}%`);
    const lines = [
      `The sandbox world moved ${truth.days} days: ${truth.from} → ${truth.clock} (planted uplift ${(truth.uplift * 100).toFixed(1)}%).`,
      `New purchases: ${Object.entries(truth.newPurchases).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} (${truth.newPurchases.total ?? 0} in all, ${truth.plantedPurchases} from the campaign effect); ${truth.events} email/web events, ${truth.unsubscribes} unsubscribes.`,
    ];
    if (truth.lists.length === 0) lines.push('No segsync list on any platform yet: nobody was treated (push first, or name lists with --list).');
    for (const l of truth.lists) {
      lines.push(`  ${l.list}: ${l.treated} treated; converted ${l.baselineConversions} without the campaign → ${l.realisedConversions} with it (${rate(l.realisedConversions, l.treated)}); expected ${l.expectedBaselineConversions.toFixed(1)} → ${l.expectedRealisedConversions.toFixed(1)}${l.expectedLift === null ? '' : ` (lift ${(l.expectedLift * 100).toFixed(1)}%${l.expectedLift < truth.uplift - 0.0005 ? ', capped: most of them buy anyway' : ''})`}`);
    }
    lines.push(`Not on any targeted list: ${truth.untreated.people} people, ${truth.untreated.conversions} converted (${rate(truth.untreated.conversions, truth.untreated.people)}).`);
    lines.push('Pull again (segsync pull) to read what happened.');
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    process.exitCode = reportError(error, json);
  }
}
