/** Printing validation problems for people (`m2m-agent check`, start-up failures). */
import type { Issue } from '../util/issues.js';
import { redactSecrets } from '../util/redact.js';

/** One line per issue: `path: message (hint)`; the path is left out for file-level problems. */
export function formatIssues(issues: readonly Issue[]): string {
  const text = issues
    .map(
      (i) => `${i.path === '' ? '' : `${i.path}: `}${i.message}${i.hint === undefined ? '' : ` (${i.hint})`}`,
    )
    .join('\n');
  // A value quoted in a message may be a URL with credentials.
  return redactSecrets(text);
}
