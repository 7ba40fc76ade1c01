/**
 * A dense row-major matrix over one Float64Array: row i, column j is data[i * cols + j].
 * Segmentation passes these between steps so a million profiles cost one allocation, not a
 * million arrays.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function createMatrix(rows: number, cols: number, data: Float64Array = new Float64Array(rows * cols)): Matrix {
  if (data.length !== rows * cols) throw new RangeError(`matrix: ${rows}×${cols} needs ${rows * cols} values, got ${data.length}`);
  return { rows, cols, data };
}

/** Builds a matrix from nested arrays (tests and small inputs). */
export function matrixFromRows(rows: ReadonlyArray<ReadonlyArray<number>>): Matrix {
  const cols = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) throw new RangeError(`matrix: row ${i} has ${row.length} values, expected ${cols}`);
    data.set(row, i * cols);
  });
  return { rows: rows.length, cols, data };
}

export function matrixToRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** The rows at `indices`, in that order, as a new matrix. */
export function selectRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const data = new Float64Array(indices.length * m.cols);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return { rows: indices.length, cols: m.cols, data };
}

/** Squared Euclidean distance between row i of a and row j of b. */
export function squaredDistance(a: Matrix, i: number, b: Matrix, j: number): number {
  const d = a.cols;
  const x = a.data;
  const y = b.data;
  let sum = 0;
  for (let c = 0, p = i * d, q = j * d; c < d; c++, p++, q++) {
    const diff = x[p]! - y[q]!;
    sum += diff * diff;
  }
  return sum;
}
