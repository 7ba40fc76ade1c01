/**
 * What each reliability scenario proved, printed as one line the CI log keeps
 * ("reliability hubspot throttle-burst: 12 faults injected, 12 requests retried, 3,412 records
 * compared, 0 differences"). The test itself fails on any difference; the line is the record.
 */
export interface ReliabilityTotals {
  platform: string;
  fault: string;
  faultsInjected: number;
  requestsRetried: number;
  recordsCompared: number;
  differences: number;
  /** Requests the emulator had to refuse because segsync went above the platform's limits (must be 0). */
  overLimit: number;
}

const n = (v: number) => v.toLocaleString('en-US');

export function reportReliability(t: ReliabilityTotals): void {
  console.log(
    `reliability ${t.platform} ${t.fault}: ${n(t.faultsInjected)} faults injected, ${n(t.requestsRetried)} requests retried, ` +
      `${n(t.recordsCompared)} records compared, ${n(t.differences)} differences, ${n(t.overLimit)} requests over the limit`,
  );
}
