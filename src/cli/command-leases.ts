import { sleep } from '../http/sleep.js';
import { operationLeaseKeys, type Operation } from '../scheduler/lease-keys.js';
import { describeHolder, JobLeases, LeaseHeldError, leaseOwner } from '../scheduler/leases.js';
import type { CommandContext } from './context.js';

/** The lease of a command when the workspace has no schedule: the schedule's own default. */
const DEFAULT_LEASE_SECONDS = 300;
const WAIT_POLL_MS = 1_000;

/**
 * Runs a command's work under the same operation leases the daemon's jobs take (lease-keys.ts):
 * a manual `push` and a scheduled push of the same platform, or two manual pushes, never run at
 * once. Without `waitSeconds` a held lease fails the command at once (exit 1) naming the holder,
 * what it runs and since when; with it, the command waits up to that long. The leases are renewed
 * while the work goes on and released at the end; a command killed outright leaves leases that a
 * later command on this machine takes over at once (its process is gone), and that expire after
 * schedule.leaseSeconds for a process on another machine. `work` gets a signal that also fires if
 * a lease is lost (not renewed in time and taken by another process).
 */
export async function underOperationLeases<T>(
  ctx: CommandContext,
  operation: Operation,
  options: { command: string; dryRun?: boolean; waitSeconds?: number },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const keys = operationLeaseKeys(ctx.session, operation, options.dryRun ? { dryRun: true } : {});
  if (keys.length === 0) return work(ctx.signal);
  const leases = new JobLeases(ctx.session.db);
  const owner = leaseOwner();
  const ttlMs = (ctx.session.workspace.schedule?.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000;
  const command = `segsync ${options.command}`;
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
  for (let announced = false; ;) {
    const claim = leases.acquireAll(keys, owner, ttlMs, Date.now(), command);
    if (claim.ok) break;
    if (options.waitSeconds === undefined || Date.now() >= deadline) throw new LeaseHeldError(claim.held, options.waitSeconds);
    if (!announced) {
      ctx.log.info({ lease: claim.held.job, holder: claim.held.owner, command: claim.held.command, since: claim.held.acquiredAt }, `waiting up to ${options.waitSeconds} s: ${claim.held.job} is held by ${describeHolder(claim.held)}`);
      announced = true;
    }
    await sleep(Math.min(WAIT_POLL_MS, Math.max(0, deadline - Date.now())), ctx.signal);
  }
  const lost = new AbortController();
  const renewal = setInterval(() => {
    try {
      if (!leases.renewAll(keys, owner, ttlMs) && !lost.signal.aborted) {
        lost.abort(new Error(`lost the lease on ${keys.join(', ')} (not renewed within ${ttlMs / 1000} s, and another process took it); stopped so the same changes are never sent twice`));
      }
    } catch (error) {
      // A busy store: the lease still has two thirds of its time; the next renewal tries again.
      ctx.log.warn({ error: (error as Error).message }, 'could not renew the command\'s leases; trying again');
    }
  }, Math.max(1_000, Math.floor(ttlMs / 3)));
  try {
    return await work(AbortSignal.any([ctx.signal, lost.signal]));
  } finally {
    clearInterval(renewal);
    try {
      leases.releaseAll(keys, owner);
    } catch {
      // They expire on their own.
    }
  }
}
