/** Short, unique request identifiers: a per-process prefix and a counter (`k3f9-17`). */
export function createRqiGenerator(
  prefix = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0'),
): () => string {
  let n = 0;
  return () => `${prefix}-${(++n).toString(36)}`;
}
