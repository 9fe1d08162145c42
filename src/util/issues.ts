/** A problem found while validating configuration or device files, with the path of the offending key. */
export interface Issue {
  /** JSON path of the offending key, e.g. `devices[2].params.gpio`. */
  readonly path: string;
  readonly message: string;
  /** What to do about it. */
  readonly hint?: string;
}

/** Formats `a.b` / `a[2]` paths. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}
