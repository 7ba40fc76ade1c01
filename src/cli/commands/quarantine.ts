import { dirname, resolve } from 'node:path';
import { ConfigError } from '../../config/errors.js';
import { QUARANTINE_KINDS, type QuarantineKind } from '../../domain/quarantine-kinds.js';
import { sourceSettings } from '../../config/workspace.js';
import { nowIso } from '../../store/db.js';
import { Quarantine, type QuarantineEntry, type QuarantineFilter, type QuarantineGroup } from '../../store/quarantine.js';
import type { Session } from '../../pipeline/session.js';
import { toCsv } from '../../report/csv-file.js';
import { makePrivateDir, writePrivateFile } from '../../report/private-files.js';
import { plural } from '../../domain/text.js';
import { fmt, table } from '../output.js';
import { runCommand, type GlobalFlags } from '../context.js';

export interface QuarantineFilterFlags extends GlobalFlags {
  platform?: string;
  reason?: QuarantineKind;
}

function filterOf(flags: QuarantineFilterFlags): QuarantineFilter {
  return { ...(flags.platform ? { platform: flags.platform } : {}), ...(flags.reason ? { kind: flags.reason } : {}) };
}

/** What happens next to a record of this kind, in a few words. */
function outlook(kind: QuarantineKind): string {
  return QUARANTINE_KINDS[kind].mayPassLater ? 'read again by id by the next pull' : 'read again once it changes on the platform';
}

function perPlatform(groups: readonly QuarantineGroup[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const g of groups) out.set(g.platform, (out.get(g.platform) ?? 0) + g.records);
  return out;
}

/** Counts per platform, stream and reason: for `quarantine list` and, shorter, for `status`. */
export function renderQuarantineGroups(groups: readonly QuarantineGroup[]): string {
  const total = groups.reduce((n, g) => n + g.records, 0);
  if (total === 0) return 'Quarantine: no records.';
  const platforms = [...perPlatform(groups)].map(([p, n]) => `${p} ${fmt(n)}`).join(', ');
  const rows = [['platform', 'stream', 'reason', 'records', 'to read again', 'not found', 'no id']];
  for (const g of groups) rows.push([g.platform, g.stream, g.kind, fmt(g.records), fmt(g.refetchPlanned), fmt(g.missing), fmt(g.withoutId)]);
  return [`Quarantine: ${fmt(total)} record${total === 1 ? '' : 's'} (${platforms})`, table(rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r'])].join('\n');
}

function renderEntry(e: QuarantineEntry): string {
  const state = e.missingSince ? ' [not found on the platform]' : e.refetchAfter ? ` [read again after ${e.refetchAfter.slice(0, 16).replace('T', ' ')}]` : '';
  return `  ${e.lastSeenAt.slice(0, 19).replace('T', ' ')}  ${e.platform} ${e.stream} ${e.externalId ?? '(no id)'}  ${e.kind}: ${e.reason.slice(0, 200)}${state}`;
}

/** `segsync quarantine list`: counts per platform, stream and reason, then the newest entries. */
export function quarantineListCommand(flags: QuarantineFilterFlags & { limit: number }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const quarantine = new Quarantine(ctx.session.db);
    const filter = filterOf(flags);
    const groups = quarantine.groups(filter);
    const entries = quarantine.list(flags.limit, filter);
    const kinds = [...new Set(groups.map((g) => g.kind))];
    const total = groups.reduce((n, g) => n + g.records, 0);
    const human = total === 0
      ? `No quarantined records${flags.platform || flags.reason ? ' match' : ''}.`
      : [
          renderQuarantineGroups(groups),
          '',
          'Reasons:',
          ...kinds.map((k) => `  ${k}: ${QUARANTINE_KINDS[k].description}; ${outlook(k)}`),
          ...(groups.some((g) => g.platform === 'csv') ? ['  (csv: file imports cannot be read again by id; import the corrected file again)'] : []),
          '',
          `Newest ${fmt(entries.length)} of ${fmt(total)} (--limit, --platform, --reason to choose):`,
          ...entries.map(renderEntry),
          '',
          '`segsync quarantine export --out FILE` writes every record; `segsync quarantine retry` has the next pull read them again.',
        ].join('\n');
    ctx.print(human, {
      ok: true,
      total,
      groups,
      kinds: Object.fromEntries(kinds.map((k) => [k, QUARANTINE_KINDS[k]])),
      entries,
    });
  }, { requireConnector: false, store: 'read' });
}

const EXPORT_HEADER = ['platform', 'stream', 'external_id', 'reason_kind', 'may_pass_later', 'reason', 'first_seen_at', 'last_seen_at',
  'read_again_after', 'reads_again', 'not_found_since', 'raw'] as const;

/**
 * `segsync quarantine export`: every row, as CSV (formula cells neutralised) or JSON lines, to a
 * file or stdout. `--json` means one JSON document: without `--out`, the records themselves
 * (`{ ok, format: 'json', total, records }`); with `--out`, the summary of what was written.
 */
export function quarantineExportCommand(flags: QuarantineFilterFlags & { out?: string; format?: 'csv' | 'jsonl' }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    if (flags.json && !flags.out && flags.format) {
      throw new ConfigError(`--json prints the records as one JSON document, --format ${flags.format} as ${flags.format === 'csv' ? 'CSV' : 'JSON lines'}: choose one, or write the ${flags.format} to a file with --out (--json then prints the summary)`);
    }
    const quarantine = new Quarantine(ctx.session.db);
    const rows = [...quarantine.all(filterOf(flags))];
    const asJson = (r: QuarantineEntry & { raw: string }) => ({ ...r, mayPassLater: QUARANTINE_KINDS[r.kind].mayPassLater, raw: parseRaw(r.raw) });
    if (flags.json && !flags.out) {
      ctx.print('', { ok: true, format: 'json', total: rows.length, records: rows.map(asJson) });
      return;
    }
    const format = flags.format ?? (flags.out && /\.(jsonl|ndjson)$/i.test(flags.out) ? 'jsonl' : 'csv');
    const text = format === 'jsonl'
      ? rows.map((r) => `${JSON.stringify(asJson(r))}\n`).join('')
      : toCsv(EXPORT_HEADER, rows.map((r) => [r.platform, r.stream, r.externalId, r.kind, QUARANTINE_KINDS[r.kind].mayPassLater ? 'yes' : 'no', r.reason,
          r.firstSeenAt, r.lastSeenAt, r.refetchAfter, r.refetchAttempts, r.missingSince, r.raw]));
    if (!flags.out) {
      process.stdout.write(text);
      return;
    }
    const path = resolve(flags.out);
    // As `report --out` does: a missing folder is created, owner-only.
    makePrivateDir(dirname(path));
    writePrivateFile(path, text);
    ctx.print(`Wrote ${plural(rows.length, 'quarantined record')} to ${path} (${format}, readable by you only).`,
      { ok: true, path, format, records: rows.length });
  }, { requireConnector: false, store: 'read' });
}

function parseRaw(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Platforms whose source can read records again by id, in this session. */
function refetchingPlatforms(session: Session): string[] {
  return session.connectors
    .filter((c) => sourceSettings(session.workspace, c.id).enabled && c.connector.source?.streams.some((s) => s.refetch !== undefined))
    .map((c) => c.id);
}

/** `segsync quarantine retry`: marks records so that the next pull reads them again by id. */
export function quarantineRetryCommand(flags: QuarantineFilterFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const quarantine = new Quarantine(ctx.session.db);
    const filter = filterOf(flags);
    const groups = quarantine.groups(filter);
    const able = refetchingPlatforms(ctx.session);
    const marked = ctx.session.db.transaction(() => quarantine.markForRefetch(able, filter, nowIso()))();
    const notMarked: Array<{ platform: string; records: number; why: string }> = [];
    for (const [platform, records] of perPlatform(groups)) {
      const withoutId = groups.filter((g) => g.platform === platform).reduce((n, g) => n + g.withoutId, 0);
      if (able.includes(platform)) {
        if (withoutId > 0) notMarked.push({ platform, records: withoutId, why: 'no id: only `segsync pull --full` reads them again' });
      } else {
        notMarked.push({
          platform,
          records,
          why: platform === 'csv'
            ? 'file imports cannot be read again by id: import the corrected file again (`segsync import`)'
            : `${platform} is not configured as a source here`,
        });
      }
    }
    const total = groups.reduce((n, g) => n + g.records, 0);
    const human = total === 0
      ? `No quarantined records${flags.platform || flags.reason ? ' match' : ''}.`
      : [
          `Marked ${fmt(marked)} record${marked === 1 ? '' : 's'} to be read again by id by the next \`segsync pull\` (or sync); those that now validate are stored and leave quarantine.`,
          ...notMarked.map((n) => `Not marked: ${n.platform} ${fmt(n.records)}: ${n.why}.`),
        ].join('\n');
    ctx.print(human, { ok: true, marked, notMarked });
  }, { requireConnector: false });
}
