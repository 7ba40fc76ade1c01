import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountCondition } from '../sandbox/emulator-account.js';
import type { FaultInjector } from '../sandbox/emulator-faults.js';
import type { DestinationPlan } from './plan.js';
import type { ContactRecord, EngagementEvent, PurchaseRecord, QuarantinedRecord, StreamName } from './records.js';
import type { SegmentDefinition, TokenSpec } from './segments.js';
import type { Transport, TransportEvents } from '../http/transport.js';
import type { Mapping } from '../config/mapping.js';
import type { SyntheticPerson, WorldAdvance } from '../sandbox/population-types.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One page as a source read it: the pipeline writes it and its cursor in one transaction. */
export interface SourcePage {
  contacts: ContactRecord[];
  purchases: PurchaseRecord[];
  quarantined: QuarantinedRecord[];
  /** The engagement stream's events (absent on the other streams). */
  events?: EngagementEvent[];
  /** Records the platform sent in this page (valid or not). */
  received: number;
  /** Where a rerun resumes after this page. */
  cursor: JsonValue;
  /** Progress hint: how many records the stream expects in total, when the platform says. */
  expectedTotal?: number;
  /** Something an admin should know (e.g. history truncated by missing scopes). */
  warnings?: string[];
  /** Whether this page comes from reading everything or only changes (for the summary). */
  mode?: 'full' | 'incremental';
  /**
   * Set when this read cannot see every record the platform holds, saying why (Shopify without
   * read_all_orders shows 60 days of orders): a full read with such a page marks nothing gone.
   */
  partialView?: string;
}

export interface ReadContext {
  signal: AbortSignal;
  /** Ignore the cursor and read everything. */
  full: boolean;
  now: () => number;
}

/** A stream reads pages and yields them; it knows nothing about the store (STYLE.md). */
export interface SourceStream {
  name: StreamName;
  /**
   * A full read (no cursor, or `--full`) yields every record of this stream the platform holds,
   * deleted ones its API still lists included: after one that completes, a stored record it did
   * not yield is gone from the platform (erased, deleted outright) and the pull marks it so
   * (gone-sweep.ts). Absent when a read is never the whole platform (a file import).
   */
  fullReadIsComplete?: boolean;
  read(cursor: JsonValue | undefined, context: ReadContext): AsyncIterable<SourcePage>;
  /**
   * Reads these records again by external id (records quarantined for a reason that may pass
   * later, or marked by `segsync quarantine retry`). The pages' cursors are ignored; an id the
   * platform no longer has is in no page. Absent when the source cannot: a file import reads
   * only its files (import the corrected file again).
   */
  refetch?(externalIds: readonly string[], context: ReadContext): AsyncIterable<SourcePage>;
}

/** A platform field the mapping names that a pull could not read a value from. */
export interface MappingProblem {
  /** Where the mapping names it: "contacts.fields.email", "contacts.attributes.ltv", "purchases.status.field". */
  key: string;
  /** The platform field (or path) as mapped. */
  field: string;
  /** What is wrong, in the platform's terms: 'HubSpot has no contact property "emial"'. */
  problem: string;
  /** The closest name the platform has, when one is close (emial → email). */
  suggestion?: string;
  /** The admin can add it on the platform (a custom property or field); false for a fixed schema. */
  creatable: boolean;
  /**
   * 'value': a value key of a consent or status mapping (key "purchases.status.values.closedwn",
   * field "closedwn") that the platform never sends for that field: records holding the value it
   * meant would take the default instead. Absent: a field.
   */
  kind?: 'field' | 'value';
}

export interface Source {
  streams: SourceStream[];
  /**
   * Checks every platform field the mapping names against the platform (read calls only, or an
   * offline schema), before a pull writes anything. Returns what does not exist; throws (ApiError)
   * when it cannot tell, e.g. a refused scope or the network, which is never "does not exist".
   */
  checkMapping?(signal: AbortSignal): Promise<MappingProblem[]>;
}

export type PlanBatch =
  | { kind: 'list_add'; listId: string; externalIds: string[] }
  | { kind: 'list_remove'; listId: string; externalIds: string[] }
  | { kind: 'tokens'; updates: Array<{ externalId: string; values: Record<string, string> }> };

export interface BatchResult {
  /** External ids whose change is now applied (or was already true on the platform). */
  applied: string[];
  /** Per-record failures: never thrown for one bad record. */
  failed: Array<{ externalId: string; reason: string }>;
  /** What an admin should know about a batch that was applied (e.g. Shopify refusing to show protected customer data back). */
  warnings?: string[];
  /**
   * External ids the platform says it has no contact for (deleted, erased, merged away): neither
   * applied nor failed. The pipeline marks those contacts gone, so no push asks for them again.
   */
  gone?: string[];
}

/** What a platform answered when asked to erase contacts (`segsync forget --on-platforms`). */
export interface EraseResult {
  /** Erased, or queued for erasure by the platform (Shopify erases within days). */
  erased: string[];
  /** The platform has no such contact (already deleted or never there): nothing left to erase. */
  absent: string[];
  /** Per-record refusals: never thrown for one record. */
  failed: Array<{ externalId: string; reason: string }>;
}

/**
 * A platform's bulk import (e.g. Shopify's bulk mutation operations): a large plan sent as a few
 * background jobs instead of many rate-limited calls. Optional; small plans stay with `apply`.
 */
export interface BulkApply {
  /** Whether this plan is better sent in bulk than batch by batch (the destination's own cost maths). */
  suits(plan: DestinationPlan): boolean;
  /**
   * Applies every batch of the plan, yielding each batch's result (by its index in `batches`) as
   * soon as the platform has confirmed it, so the pipeline records it before the next one ends.
   * Per-record failures are results, never thrown; what fails the whole push is thrown after the
   * results already confirmed were yielded. Applying a batch again must be harmless (a rerun after
   * a crash sends what was not recorded).
   */
  apply(batches: readonly PlanBatch[], signal?: AbortSignal): AsyncIterable<{ index: number; result: BatchResult }>;
}

export interface Destination {
  capabilities: {
    lists: boolean;
    tokens: boolean;
    maxBatch: { listMembers: number; tokens: number };
  };
  /** Platform field name for a canonical token key; undefined when the mapping does not write it. */
  tokenField(tokenKey: string): string | undefined;
  /** Creates the fields/properties the tokens need (idempotent); receives only mapped tokens. */
  ensureSchema(tokens: TokenSpec[]): Promise<void>;
  /** What a segment's list is called on this platform, when not `<listPrefix><segment name>` (e.g. a tag). */
  listName?(segment: SegmentDefinition): string;
  /** Finds or creates the list for a segment; returns the platform's list id. */
  ensureList(segment: SegmentDefinition, listName: string): Promise<string>;
  apply(batch: PlanBatch): Promise<BatchResult>;
  /** The platform's bulk import, for plans too large for `apply` batch by batch. */
  bulk?: BulkApply;
  /** Asks the platform to erase these contacts and their personal data (its GDPR deletion). */
  eraseContacts?(externalIds: readonly string[]): Promise<EraseResult>;
}

export interface OpenOptions {
  mapping: Mapping;
  lookbackMinutes: number;
  events?: TransportEvents;
}

/** One line of `segsync doctor`: what was checked, how it went, and what to do when it did not. */
export interface DiagnosticCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

/** What `segsync doctor` asks a connector to check, with read calls only. */
export interface DiagnoseInput {
  /** The tokens a push writes here, already limited to those the mapping maps (tokenField names them). */
  tokens: TokenSpec[];
  /** The lists a push writes here, with the names it gives them; empty when lists are off. */
  lists: Array<{ segment: SegmentDefinition; listName: string }>;
  /** Whether a push writes here at all (workspace `destinations.<platform>.enabled`). */
  destination: boolean;
  signal: AbortSignal;
}

/** A connector ready to use: one transport shared by its source and destination. */
export interface OpenConnector {
  transport: Transport;
  source?: Source;
  destination?: Destination;
  /**
   * Checks credentials, scopes, token fields and lists with the cheapest read calls; never writes.
   * A rejected credential is a `fail` line, not a throw.
   */
  diagnose?(input: DiagnoseInput): Promise<DiagnosticCheck[]>;
}

/** Everything the rest of segsync knows about one platform. */
export interface ConnectorDescriptor<Config = unknown> {
  id: string;
  displayName: string;
  /** mappings/<id>.yaml, absolute. */
  defaultMappingFile: string;
  /** The environment variable whose presence turns this platform on (for setup messages). */
  enabledBy: string;
  /** Reads this connector's settings from the environment; undefined when not configured. */
  configFromEnv(env: NodeJS.ProcessEnv): Config | undefined;
  open(config: Config, options: OpenOptions): OpenConnector;
  emulator?: EmulatorDescriptor;
}

/** An emulator mounted in the sandbox; every one can make the trouble of FAULT_KINDS on request. */
export interface MountedEmulator extends FaultInjector {
  handle(req: IncomingMessage, res: ServerResponse, path: string): void;
  /**
   * The sandbox's world clock moved forward: append this platform's share of what happened
   * (presence.ts `advanceOn`), dated at the events' times so that incremental pulls read it.
   */
  advance?(advance: WorldAdvance): void;
  /**
   * Which population people (by index) are on the lists segsync created through the API (lists,
   * static lists, tags it added), by list name; only the named ones when `listNames` is given.
   */
  listedPeople?(listNames?: readonly string[]): Map<string, number[]>;
  /**
   * Lifts the platform's rate limits from now on (as the `fast` pace does). The demo uses it to
   * read a jump of the world's clock at once: days of changes a daemon would have read as they came.
   */
  liftRateLimits?(): void;
}

/**
 * `realistic` enforces the platform's real rate limits (the sandbox and the demo); `fast` lifts
 * them so end-to-end tests of everything else run quickly.
 */
export type EmulatorPace = 'realistic' | 'fast';

export interface EmulatorDescriptor {
  /** Path prefix in the sandbox server, e.g. "/hubspot". */
  mount: string;
  /**
   * Loads the platform's share of the population (see src/sandbox/presence.ts). `account`: the
   * states of a real account to answer as (src/sandbox/emulator-account.ts); those that do not
   * exist on this platform are ignored. `clock`: the sandbox's world clock (ms), which runs ahead
   * of the real one after an advance; Date.now when absent.
   */
  create(people: Iterable<SyntheticPerson>, pace?: EmulatorPace, account?: readonly AccountCondition[], clock?: () => number): MountedEmulator;
  /** The environment lines that point segsync at this emulator. */
  env(baseUrl: string, pace?: EmulatorPace): Record<string, string>;
}
