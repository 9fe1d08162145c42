/** The demo's agent configuration: simulated devices against the development registrar. */
import type { Registrar } from '../cse/server.js';
import { loadDeviceModels } from '../config/models.js';
import { validateConfig } from '../config/validate.js';
import { bundledDevicesDir } from '../config/schemas.js';
import type { AgentConfig } from '../config/types.js';
import type { Serialization } from '../codec/subprotocol.js';
import type { Issue } from '../util/issues.js';
import { DEMO_USER } from './demo-asn.js';

export const AE_NAME = 'demo-gw';
/** The agent's own CSE-ID with `--role asn`. */
export const ASN_CSE_ID = '/id-demo-gw';

export interface DemoConfigOptions {
  readonly serialization: Serialization;
  readonly imitate: 'acme' | 'mobius' | undefined;
  readonly asn: boolean;
}

/** The validated configuration, or the issues (a bug in the demo) when it does not validate. */
export function demoConfig(
  registrar: Registrar,
  { serialization, imitate, asn }: DemoConfigOptions,
  stateDir: string,
): { readonly config: AgentConfig | undefined; readonly issues: readonly Issue[] } {
  const serializations: Serialization[] = [
    serialization,
    ...(['cbor', 'json', 'xml'] as const).filter((s) => s !== serialization),
  ];
  const { models, issues: modelIssues } = loadDeviceModels([bundledDevicesDir()]);
  const { config, issues } = validateConfig(
    {
      registrar: {
        url: registrar.url,
        cseId: registrar.cse.cseId,
        cseName: registrar.cse.cseName,
        // Mobius cannot notify over the link: poll for commands often enough to watch it happen.
        ...(imitate
          ? { compat: { preset: imitate, ...(imitate === 'mobius' ? { pollCommandsSeconds: 2 } : {}) } }
          : {}),
      },
      node: {
        name: AE_NAME,
        appId: 'Nm2m-agent-demo',
        originator: 'Cdemo-gw',
        ...(asn ? { role: 'asn', cseId: ASN_CSE_ID } : {}),
      },
      // ASN: the demo user may read the agent's CSE and command its actuator.
      ...(asn ? { trustedOriginators: [DEMO_USER] } : {}),
      serializations: imitate ? serializations.filter((s) => s !== 'xml') : serializations,
      stateDir,
      buffer: { fsyncIntervalMs: 1000 },
      devices: [
        { name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '*/2 * * * * *' },
        {
          name: 'temperature',
          model: 'sim',
          params: { waveform: 'sine', unit: 'Cel', offset: 20, amplitude: 5, periodSeconds: 120 },
          sample: '*/3 * * * * *',
          // ASN: kept in the agent's CSE only; the user retrieves it through the registrar.
          ...(asn ? { push: false } : {}),
        },
        { name: 'switch', model: 'sim-switch', eventCategory: 'immediate' },
      ],
    },
    models,
  );
  return { config, issues: [...modelIssues, ...issues] };
}
