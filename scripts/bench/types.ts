/** What every bench module exports, and the figure format `index.ts` prints. */

/** One measured figure; `baseline` and `ratio` when it is compared with a reference run. */
export interface Figure {
  /** Dotted name, e.g. `roundtrip.pipelined.cbor`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  /** `value / baseline`. */
  readonly ratio?: number;
}

export interface BenchOptions {
  /** Long runs (`--full`); the default run of each bench stays within about a minute. */
  readonly full: boolean;
  /** Progress notes (stderr), kept out of the figures. */
  readonly note: (line: string) => void;
}

/** A bench module: `index.ts` runs every one in its list. */
export interface Bench {
  readonly name: string;
  run(opts: BenchOptions): Promise<Figure[]>;
}
