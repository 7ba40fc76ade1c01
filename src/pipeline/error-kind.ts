import { ConfigError, InputRefusedError } from '../config/errors.js';
import { ApiError } from '../http/errors.js';
import { MassRemovalError } from './apply.js';
import { BlankingError } from './blanking-guard.js';
import { MassDeletionError } from './gone-sweep.js';
import { StatusChangeError } from './status-guard.js';
import { MappingFieldError } from './mapping-check.js';
import { LeaseHeldError } from '../scheduler/leases.js';

/**
 * What kind of failure an error is, for `--json` (`error.kind`), JSON log lines and a sync's
 * per-platform failures: one name per cause an admin acts on differently.
 */
export function errorKind(error: unknown): string {
  if (error instanceof MappingFieldError) return 'mapping_field';
  if (error instanceof ConfigError) return 'configuration';
  if (error instanceof ApiError) return `api:${error.kind}`;
  if (error instanceof MassRemovalError) return 'mass_removal_guard';
  if (error instanceof BlankingError) return 'blanking_guard';
  if (error instanceof MassDeletionError) return 'mass_deletion_guard';
  if (error instanceof StatusChangeError) return 'status_guard';
  if (error instanceof InputRefusedError) return 'input_refused';
  if (error instanceof LeaseHeldError) return 'lease_held';
  return 'failure';
}

/** An error segsync expected and explained (no stack trace is useful to the admin). */
export function isExpectedError(error: unknown): boolean {
  return errorKind(error) !== 'failure';
}
