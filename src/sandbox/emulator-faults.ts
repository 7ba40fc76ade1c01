/** A fault an emulator answers instead of the real thing, for reliability tests. */
export interface EmulatorFault {
  /** Tested against `${METHOD} ${path}` (path as given to handle(); Shopify adds the operation name). */
  match: RegExp;
  /** How many matching requests get this answer; default 1. */
  times?: number;
  /** HTTP status to answer; 0 = destroy the connection without answering (a reset). */
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** Faults waiting to be answered, each for its number of matching requests. */
export class FaultQueue {
  private faults: Array<EmulatorFault & { left: number }> = [];

  add(fault: EmulatorFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** The fault that answers this request (described by `key`), after its delay; counts it down. */
  async take(key: string): Promise<EmulatorFault | undefined> {
    const fault = this.faults.find((f) => f.left > 0 && f.match.test(key));
    if (!fault) return undefined;
    fault.left--;
    this.faults = this.faults.filter((f) => f.left > 0);
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    return fault;
  }
}
