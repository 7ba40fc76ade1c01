/** A plan is desired destination state minus applied destination state. */

export interface ListChange {
  segmentKey: string;
  listName: string;
  /** Current size of the list as last applied (for the mass-removal guard). */
  appliedSize: number;
  add: string[];
  remove: string[];
  /** Control members of the segment on this platform, kept off the list (controlGroups). */
  heldOut: number;
}

export interface TokenChange {
  externalId: string;
  /** Platform field name → new value ("" clears). */
  values: Record<string, string>;
}

export interface GuardViolation {
  segmentKey: string;
  listName: string;
  removals: number;
  appliedSize: number;
  share: number;
}

export interface DestinationPlan {
  destination: string;
  mode: SyncMode;
  lists: ListChange[];
  tokens: TokenChange[];
  /** Applied state for contacts that no longer exist on the platform: dropped without calls. */
  forget: { listMembers: number; tokenRows: number };
  forgetIds: string[];
  /** Removals kept back because the destination is additive. */
  skippedRemovals: number;
  /** Contacts kept out of lists because they unsubscribed on this platform. */
  unsubscribedExcluded: number;
  guardViolations: GuardViolation[];
}

export type SyncMode = 'mirror' | 'additive';
