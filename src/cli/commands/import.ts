import { createCsvSource, loadCsvMapping } from '../../../connectors/csv/index.js';
import { pullSource } from '../../pipeline/pull.js';
import { pullTotals, recorded } from '../../pipeline/run.js';
import { renderPull } from '../render.js';
import { fmt } from '../output.js';
import { runCommand, type GlobalFlags } from '../context.js';

export interface ImportFlags extends GlobalFlags {
  format?: string;
  mapping?: string;
  timeZone?: string;
}

/** Imports contact and order exports like any other source (platform "csv"). */
export function importCommand(files: string[], flags: ImportFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const { source, stats } = createCsvSource(files, {
      ...(flags.format ? { format: flags.format } : {}),
      ...(flags.mapping ? { mapping: loadCsvMapping(flags.mapping) } : {}),
      ...(flags.timeZone ? { timeZone: flags.timeZone } : {}),
    });
    const { result } = await recorded(ctx.session, 'import', async () => {
      const streams = await pullSource({ db: ctx.session.db, platform: 'csv', source, full: true, signal: ctx.signal, progress: ctx.progress() });
      return { streams, totals: pullTotals(streams), stats };
    });
    const s = result.stats;
    const human = [
      `Imported ${fmt(s.files)} file(s): ${Object.entries(s.formatByFile).map(([f, format]) => `${f} (${format})`).join(', ')}`,
      `${fmt(s.rows)} rows → ${fmt(s.purchases)} purchases from ${fmt(s.lineItems)} line items, ${fmt(s.contacts)} contacts`,
      `cancellations ${fmt(s.cancellations)}, returns ${fmt(s.returns)} (refunded invoices ${fmt(s.refunded)}), rows without a customer ${fmt(s.rowsWithoutCustomer)}, invalid rows ${fmt(s.invalidRows)}`,
      '',
      renderPull({ streams: result.streams, totals: result.totals }),
    ].join('\n');
    ctx.print(human, { ok: true, import: s, pull: { streams: result.streams, totals: result.totals } });
  }, { requireConnector: false, store: 'create' });
}
