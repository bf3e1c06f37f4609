/**
 * The one home of Tern's performance figures (`npm run bench`): every bench/*.bench.ts exports
 * `default async function (r: Reporter)` and reports figures; index.ts prints a table, or with --json one
 * JSON object per line: {"name", "value", "unit", "reference"?, "ratio"?}.
 */
export interface Figure {
  /** e.g. "ratchet 1KiB one-way" */
  name: string
  value: number
  /** e.g. "msg/s", "ms", "KB/peer" */
  unit: string
  /** the same measure for the reference implementation, measured in the same run */
  reference?: number
  /** value / reference (or reference / value for lower-is-better units; say so in the name) */
  ratio?: number
  /** free text: target, notes */
  note?: string
}

export interface Reporter {
  add: (f: Figure) => void
  log: (msg: string) => void
}

/** Median of a list of numbers. */
export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Runs `fn` `runs` times and returns the median of what it returns. */
export async function medianOf (runs: number, fn: () => number | Promise<number>): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < runs; i++) xs.push(await fn())
  return median(xs)
}
