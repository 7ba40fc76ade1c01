/** A typed array that grows as rows stream in from SQLite (no object per row); `done()` trims it, once. */
export class Growable<T extends Int32Array | Float64Array> {
  private data: T;
  size = 0;

  constructor(private readonly make: (length: number) => T) {
    this.data = make(1024);
  }

  push(value: number): void {
    if (this.size === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = value;
  }

  /** The rows, trimmed; the builder lets go of its (up to twice as large) buffer. */
  done(): T {
    const rows = this.data.slice(0, this.size) as T;
    this.data = this.make(0);
    this.size = 0;
    return rows;
  }
}

export const int32s = (): Growable<Int32Array> => new Growable((n) => new Int32Array(n));
export const float64s = (): Growable<Float64Array> => new Growable((n) => new Float64Array(n));
