/** Errors of the ASN role. Registration refusals reuse `RegistrationError` (`REGISTRATION_REFUSED`). */
import { rscLabel } from '../../protocol/codes.js';
import { AgentError } from '../../util/errors.js';

/** The agent's own CSE refused one of the resources the agent sets up in it (a bug or a bad config). */
export class AsnSetupError extends AgentError {
  override readonly name = 'AsnSetupError';
  constructor(path: string, rsc: number, detail: string) {
    super(
      'ASN_SETUP_FAILED',
      `creating ${path} in the local CSE failed: ${rscLabel(rsc)}${detail ? ` (${detail})` : ''}`,
      {
        hint: 'check node.name, node.cseId and the device names and container limits in the configuration',
      },
    );
  }
}
