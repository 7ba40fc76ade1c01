import type { JsonValue } from '../domain/connector.js';

/**
 * A stream cursor as a person reads it. Cursors are each connector's own JSON, but they share a
 * vocabulary (`phase`, `since` and `startedAt` in epoch ms, `after`/`token` for page tokens,
 * `step`/`mode`, a bulk `extract` or `operation`, imported `files`); this reads that vocabulary
 * and never a platform's name. Whatever it does not know is shown as JSON with its times in ISO.
 */
export function describeCursor(cursor: JsonValue): string {
  if (!isObject(cursor)) return JSON.stringify(cursor);
  if (Array.isArray(cursor.files)) {
    const n = cursor.files.length;
    return `${n} file${n === 1 ? '' : 's'} imported`;
  }
  const parts: string[] = [];
  const at = (key: string) => time(cursor[key]);
  switch (cursor.phase) {
    case 'incremental':
      parts.push(at('since') ? `incremental: changes since ${at('since')}` : 'incremental');
      break;
    case 'full':
      parts.push(`full read in progress${at('startedAt') ? ` (started ${at('startedAt')})` : ''}`);
      break;
    case 'archived':
      parts.push(`reading deleted records, the last step of a full read${at('startedAt') ? ` (started ${at('startedAt')})` : ''}`);
      break;
    case 'bulk':
      parts.push('bulk export in progress');
      break;
    default:
      return JSON.stringify(readableTimes(cursor));
  }
  if (typeof cursor.step === 'string') parts.push(`step: ${cursor.step}`);
  if (typeof cursor.mode === 'string') parts.push(`mode: ${cursor.mode}`);
  if (typeof cursor.lines === 'number') parts.push(`${cursor.lines.toLocaleString('en-US')} lines read`);
  if (isObject(cursor.extract) && time(cursor.extract.nextStartMs) && time(cursor.extract.endMs)) {
    parts.push(`export windows from ${time(cursor.extract.nextStartMs)} to ${time(cursor.extract.endMs)} to go`);
  }
  if (typeof cursor.afterLeadId === 'number' || typeof cursor.afterId === 'number') parts.push(`next after record ${String(cursor.afterLeadId ?? cursor.afterId)}`);
  if ((typeof cursor.after === 'string' && cursor.after !== '') || typeof cursor.token === 'string') parts.push('resumes at a saved page token');
  return parts.join('; ');
}

type JsonObject = { [key: string]: JsonValue };
const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Epoch ms (segsync's cursors keep times so) → "2026-12-07 06:29:50 UTC"; anything else → undefined. */
function time(value: JsonValue | undefined): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 946_684_800_000 || value > 4_102_444_800_000) return undefined;
  return `${new Date(value).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function readableTimes(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(readableTimes);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readableTimes(v)]));
  return time(value) ?? value;
}
