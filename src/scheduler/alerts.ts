export interface AlertLog {
  warn(o: object, m: string): void;
  info(o: object, m: string): void;
}

export interface AlerterOptions {
  /** An incoming-webhook URL (Slack, Teams, ...). It may carry a secret: only its host is ever logged. */
  webhookUrl?: string;
  fetchImpl?: typeof fetch;
  log: AlertLog;
  /** How long one POST may take; 5 s by default. */
  timeoutMs?: number;
  /** How often a job that keeps failing is announced again; 1 h by default. */
  repeatEveryMs?: number;
  now?: () => number;
  /**
   * Failed runs in a row per job when the daemon starts (from the run history), so a job that was
   * failing before a restart still gets its job_recovered message.
   */
  failingAtStart?: ReadonlyMap<string, number>;
}

export interface RunDetails {
  error?: string;
  runId?: number;
  at?: string;
}

export interface Alerter {
  runFinished(job: string, ok: boolean, details?: RunDetails): Promise<void>;
}

export type AlertEvent = 'job_failed' | 'job_recovered';

export interface AlertMessage {
  source: 'segsync';
  event: AlertEvent;
  job: string;
  runId?: number;
  at: string;
  error?: string;
  /** Failed runs in a row, the current one included (job_failed only). */
  consecutiveFailures?: number;
  /** What Slack and Teams incoming webhooks display. */
  text: string;
}

interface JobState {
  failing: boolean;
  consecutiveFailures: number;
  /** When a job_failed message last reached the webhook; undefined while none did in this streak. */
  lastFailureAlertAt: number | undefined;
}

const HOUR_MS = 60 * 60 * 1000;

/**
 * Tells a webhook when a job starts failing and when it recovers:
 * - the first failure after a success (or the first run the daemon sees) posts `job_failed`;
 * - while the job keeps failing, `job_failed` is posted again at most once per `repeatEveryMs`
 *   (1 h), so a job failing every minute does not flood the channel but is not forgotten;
 *   a failure message the webhook did not accept is tried again on the next failure;
 * - the first success after a failure posts `job_recovered`; a success after a success posts nothing.
 * State lives in memory, seeded from the run history (`failingAtStart`): after a restart, a job
 * still failing is announced once more, and one that recovers is announced as recovered.
 * A webhook that fails (network error, non-2xx, timeout) is logged as a warning with its host
 * only, and `runFinished` never throws. Without a webhook URL, nothing is sent.
 */
export function createAlerter(options: AlerterOptions): Alerter {
  const { log } = options;
  const now = options.now ?? Date.now;
  const repeatEveryMs = options.repeatEveryMs ?? HOUR_MS;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const fetchImpl = options.fetchImpl ?? fetch;
  const webhook = options.webhookUrl ? parseWebhookUrl(options.webhookUrl) : undefined;
  const states = new Map<string, JobState>();

  async function post(message: AlertMessage): Promise<boolean> {
    if (!webhook) return false;
    const context = { job: message.job, event: message.event, webhookHost: webhook.host };
    try {
      const res = await fetchImpl(webhook.href, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Free the connection; the body of a webhook's answer says nothing we act on.
      await res.body?.cancel().catch(() => undefined);
      if (!res.ok) {
        log.warn({ ...context, status: res.status }, `alert webhook at ${webhook.host} answered ${res.status}; the alert was not delivered`);
        return false;
      }
      log.info(context, `alert ${message.event} for job ${message.job} sent to ${webhook.host}`);
      return true;
    } catch (err) {
      const reason = isTimeout(err) ? `no answer within ${timeoutMs} ms` : redact(describe(err), webhook, options.webhookUrl);
      log.warn({ ...context, reason }, `alert webhook at ${webhook.host} failed: ${reason}; the alert was not delivered`);
      return false;
    }
  }

  return {
    async runFinished(job, ok, details = {}) {
      try {
        const before = options.failingAtStart?.get(job) ?? 0;
        const state = states.get(job) ?? { failing: before > 0, consecutiveFailures: before, lastFailureAlertAt: undefined };
        states.set(job, state);
        const at = details.at ?? new Date(now()).toISOString();
        const runId = details.runId === undefined ? {} : { runId: details.runId };
        const run = details.runId === undefined ? '' : ` (run ${details.runId})`;

        if (ok) {
          if (!state.failing) return;
          const failures = state.consecutiveFailures;
          const previous = { ...state };
          state.failing = false;
          state.consecutiveFailures = 0;
          state.lastFailureAlertAt = undefined;
          const delivered = await post({
            source: 'segsync',
            event: 'job_recovered',
            job,
            ...runId,
            at,
            text: `segsync: job ${job} recovered${run} after ${failures} failed run${failures === 1 ? '' : 's'}`,
          });
          // Not delivered: stay "failing", so the next success tries to announce the recovery again.
          if (!delivered) Object.assign(state, previous);
          return;
        }

        state.failing = true;
        state.consecutiveFailures += 1;
        const nowMs = now();
        if (state.lastFailureAlertAt !== undefined && nowMs - state.lastFailureAlertAt < repeatEveryMs) return;
        // Claimed before the POST so that concurrent failures of one job send one message.
        const previous = state.lastFailureAlertAt;
        state.lastFailureAlertAt = nowMs;
        const error = details.error === undefined ? {} : { error: details.error };
        const still = previous === undefined ? 'failed' : `still failing (${state.consecutiveFailures} runs in a row)`;
        const delivered = await post({
          source: 'segsync',
          event: 'job_failed',
          job,
          ...runId,
          at,
          ...error,
          consecutiveFailures: state.consecutiveFailures,
          text: `segsync: job ${job} ${still}${run}${details.error ? `: ${details.error}` : ''}`,
        });
        if (!delivered && state.lastFailureAlertAt === nowMs) state.lastFailureAlertAt = previous;
      } catch (err) {
        // Alerting must never break the daemon's run loop.
        log.warn({ job, reason: redact(describe(err), webhook, options.webhookUrl) }, 'alerting failed');
      }
    },
  };
}

function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The message must not echo the value: it may be a secret.
    throw new Error('alerts: the webhook URL is not a valid URL. Fix: set a full https:// URL of an incoming webhook.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`alerts: the webhook URL must use https or http, not ${url.protocol}. Fix: set a full https:// URL of an incoming webhook.`);
  }
  return url;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

/** The error and its causes (undici hides the useful part, e.g. ECONNREFUSED, in `cause`). */
function describe(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

/** A fetch implementation may quote the URL in its errors; the path and query can be the secret. */
function redact(text: string, webhook: URL | undefined, raw?: string): string {
  if (!webhook) return text;
  let out = text.split(webhook.href).join(webhook.host);
  if (raw) out = out.split(raw).join(webhook.host);
  for (const secret of [webhook.pathname + webhook.search, webhook.pathname, webhook.search]) {
    if (secret.length > 1) out = out.split(secret).join('/…');
  }
  for (const secret of [webhook.username, webhook.password]) if (secret) out = out.split(secret).join('…');
  return out;
}
