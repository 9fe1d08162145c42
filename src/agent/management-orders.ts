/**
 * Where the registrar gives the gateway orders (README "Managing a fleet"): the reboot object under
 * our `<node>` and the `config` container under our `<AE>`, each with our subscription to it (the
 * registrar notifies us over the link; who may write them is the registrar's access control), and
 * `config-status`, where the outcome of the last configuration patch is published.
 */
import type { Connection } from '../binding/ws/types.js';
import { ResourceType } from '../protocol/codes.js';
import { MGD } from './management-board.js';
import type { MgmtRequests } from './management-requests.js';

/** Name of our subscription to the reboot object. */
export const REBOOT_SUBSCRIPTION_NAME = 'm2m-agent-reboot';
/** Remote configuration: patches come in `config`, outcomes go to `config-status`. */
export const CONFIG_CONTAINER_NAME = 'config';
export const CONFIG_STATUS_CONTAINER_NAME = 'config-status';
export const CONFIG_SUBSCRIPTION_NAME = 'm2m-agent-config';

export class RegistrarOrders {
  private lastConfigStatus?: string;

  constructor(
    private readonly o: { readonly aePath: () => string; readonly aeId: () => string | undefined },
    private readonly req: MgmtRequests,
  ) {}

  /**
   * The reboot object and our subscription to it. ACME keeps `rbo`/`far` false (it resets them
   * before storing and before notifying), so the notification of modified attributes (nct 2) is
   * how we learn an UPDATE named them.
   */
  async reboot(conn: Connection): Promise<void> {
    const nodePath = this.req.nodePath;
    const obj = await this.req.ensure(conn, 'reboot', nodePath, ResourceType.MgmtObj, {
      'm2m:rbo': { rn: 'reboot', mgd: MGD.reboot, rbo: false, far: false },
    });
    if (obj === undefined) return;
    if (obj.isNew) await this.req.forget('rebootSub');
    await this.subscribe(conn, 'rebootSub', `${nodePath}/reboot`, REBOOT_SUBSCRIPTION_NAME, 2);
  }

  /** The `config` container and our subscription to it, `config-status` and the latest outcome. */
  async remoteConfig(conn: Connection, status: string | undefined): Promise<void> {
    const ae = this.o.aePath();
    const cnt = await this.req.ensure(conn, 'config', ae, ResourceType.Container, {
      'm2m:cnt': { rn: CONFIG_CONTAINER_NAME, mni: 10 },
    });
    if (cnt?.isNew) await this.req.forget('configSub');
    if (cnt)
      await this.subscribe(conn, 'configSub', `${ae}/${CONFIG_CONTAINER_NAME}`, CONFIG_SUBSCRIPTION_NAME);
    const out = await this.req.ensure(conn, 'configStatus', ae, ResourceType.Container, {
      'm2m:cnt': { rn: CONFIG_STATUS_CONTAINER_NAME, mni: 10 },
    });
    if (out === undefined || status === undefined || status === this.lastConfigStatus) return;
    const path = `${ae}/${CONFIG_STATUS_CONTAINER_NAME}`;
    if (await this.req.addInstance(conn, 'configStatus', path, 'application/json:0', status))
      this.lastConfigStatus = status;
  }

  /**
   * Our subscription `rn` to `parent`, notified over the link (`nu` and `su`: our AE-ID). `nct` 2
   * (modified attributes) with `net` 1 for an UPDATE; default: the whole new child (`net` 3).
   */
  private async subscribe(conn: Connection, key: string, parent: string, rn: string, nct?: 2): Promise<void> {
    const aeId = this.o.aeId() ?? '';
    const enc = nct === 2 ? { net: [1] } : { net: [3] };
    await this.req.ensure(conn, key, parent, ResourceType.Subscription, {
      'm2m:sub': { rn, nu: [aeId], enc, nct: nct ?? 1, su: aeId },
    });
  }
}
