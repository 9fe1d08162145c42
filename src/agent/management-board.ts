/**
 * The board's self-description (TS-0001 device management): our `<node>` under the CSEBase, the
 * `nl` of our `<AE>` / `<remoteCSE>` pointing at it, and its deviceInfo, memory and (where the
 * board has one) battery management objects, each UPDATEd only when a value changed enough.
 */
import type { Connection } from '../binding/ws/types.js';
import { ResourceType, isSuccess, rscLabel } from '../protocol/codes.js';
import type { Logger } from '../util/log.js';
import { readBattery, readBoardFacts, readMemory, type MemoryFacts } from './board-info.js';
import type { Known, MgmtRequests } from './management-requests.js';

export const MGD = { memory: 1003, battery: 1006, deviceInfo: 1007, reboot: 1009 } as const;
/** A memory UPDATE is sent when `mma` moved by at least this share of `mmt`. */
const MEMORY_CHANGE_SHARE = 0.02;
/** What lives under our `<node>`: a new node has none of it, whatever we remembered. */
const NODE_CHILDREN = ['deviceInfo', 'memory', 'battery', 'reboot', 'rebootSub'] as const;

export interface BoardOptions {
  readonly role: 'adn' | 'asn';
  readonly cseBase: string;
  readonly name: string;
  readonly agentVersion: string;
  readonly aePath: () => string;
  readonly logger: Logger;
  /** Root of the files the board facts are read from (tests give a fake tree). */
  readonly root?: string;
}

export class BoardObjects {
  private lastMemory?: MemoryFacts;
  private lastBattery?: string;
  private deviceInfoSent = false;

  constructor(
    private readonly o: BoardOptions,
    private readonly req: MgmtRequests,
  ) {}

  /** The `<node>`, the `nl` pointing at it, and its management objects; the node, or undefined if refused. */
  async sync(conn: Connection): Promise<Known | undefined> {
    const node = await this.req.ensure(conn, 'node', this.o.cseBase, ResourceType.Node, {
      'm2m:nod': { rn: `${this.o.name}-node`, ni: this.o.name },
    });
    if (node === undefined) return undefined;
    if (node.isNew) await this.forgetChildren();
    await this.link(conn, node.ri);
    await this.deviceInfo(conn);
    await this.memory(conn);
    await this.battery(conn);
    return node;
  }

  private async forgetChildren(): Promise<void> {
    for (const key of NODE_CHILDREN) await this.req.forget(key);
    this.deviceInfoSent = false;
    this.lastMemory = undefined;
    this.lastBattery = undefined;
  }

  /** Our `<AE>`'s (or `<remoteCSE>`'s) nodeLink. */
  private async link(conn: Connection, nodeRi: string): Promise<void> {
    if (this.req.note('nl') === nodeRi) return;
    const rsp = await this.req.update(conn, this.o.aePath(), {
      [this.o.role === 'asn' ? 'm2m:csr' : 'm2m:ae']: { nl: nodeRi },
    });
    if (isSuccess(rsp.rsc)) await this.req.setNoteOf('nl', nodeRi);
    else this.o.logger.warn('the registrar refused our nodeLink', { rsc: rscLabel(rsp.rsc) });
  }

  private async deviceInfo(conn: Connection): Promise<void> {
    // Versions change only with a restart (an upgrade): one UPDATE per process life is enough.
    if (this.deviceInfoSent) return;
    const b = await readBoardFacts(this.o.root);
    const values = {
      dlb: this.o.name,
      man: b.manufacturer,
      mod: b.model,
      dty: 'gateway',
      swv: this.o.agentVersion,
      osv: b.os,
    };
    this.deviceInfoSent = await this.req.keepMgmtObj(
      conn,
      {
        key: 'deviceInfo',
        type: 'm2m:dvi',
        mgd: MGD.deviceInfo,
        values,
        extra: { dc: 'the board and its software' },
      },
      true,
    );
  }

  private async memory(conn: Connection): Promise<void> {
    const m = await readMemory(this.o.root);
    if (!m) return;
    const last = this.lastMemory;
    const changed =
      last === undefined ||
      last.total !== m.total ||
      Math.abs(last.available - m.available) >= m.total * MEMORY_CHANGE_SHARE;
    const values = { mma: m.available, mmt: m.total };
    const o = { key: 'memory', type: 'm2m:mem', mgd: MGD.memory, values };
    if (await this.req.keepMgmtObj(conn, o, changed)) this.lastMemory = m;
  }

  private async battery(conn: Connection): Promise<void> {
    const b = await readBattery(this.o.root);
    if (!b) return;
    const key = `${b.level}/${b.status}`;
    const values = { btl: b.level, bts: b.status };
    const o = { key: 'battery', type: 'm2m:bat', mgd: MGD.battery, values };
    if (await this.req.keepMgmtObj(conn, o, key !== this.lastBattery)) this.lastBattery = key;
  }
}
