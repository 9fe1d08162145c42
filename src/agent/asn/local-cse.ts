/**
 * The agent's own ASN-CSE (TS-0001 6.3, design.md "Roles"): the in-memory `Cse` of `src/cse` with
 * `cst` 3, CSE-ID `node.cseId` and CSEBase `node.name`, holding an `<AE>` for the devices
 * (registered in process, no socket), a `<container>` per device bounded by its `mni`/`mbs`/`mia`,
 * and a `command` container under each actuator. Every reading is stored here as a
 * `<contentInstance>` (so the registrar can RETRIEVE it: pull). A `<contentInstance>` created in
 * a command container is applied to the actuator: the CSE's resource events drive it, whoever
 * created it.
 *
 * Limit: the resource tree lives in memory; after a restart a container's `la` is 4004 until the
 * device's next reading (the readings that are pushed are in the durable outbox meanwhile).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Cse, type RegistrarRecord, type ResourceEvent } from '../../cse/index.js';
import type { ContainerAttributes } from '../../config/types.js';
import { parseCommand } from '../../drivers/command.js';
import type { ActuatorCommand } from '../../drivers/types.js';
import { CseType, Operation, ResourceType, isSuccess, rscLabel } from '../../protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../protocol/primitive.js';
import type { Clock } from '../../util/clock.js';
import { describeError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { ReadingRecord } from '../reading-queue.js';
import { COMMAND_CONTAINER_NAME, containerContent, createRequest } from '../resources.js';
import { senmlContent, toSenml } from '../reading-request.js';
import { AsnSetupError } from './errors.js';

export interface AsnDevice {
  readonly name: string;
  readonly kind: 'sensor' | 'actuator';
  readonly container: ContainerAttributes;
}

export interface AsnLocalCseOptions {
  /** Our SP-relative CSE-ID, `/id-barn-gw-1`. */
  readonly cseId: string;
  /** Our CSEBase name (`node.name`); the device `<AE>` has the same name, as in the ADN role. */
  readonly name: string;
  /** AE-ID stem of the device `<AE>`. */
  readonly aeId: string;
  readonly appId: string;
  readonly releaseVersion: string;
  readonly devices: readonly AsnDevice[];
  /** Applies a command to an actuator. */
  readonly actuate: (device: string, cmd: ActuatorCommand) => Promise<void>;
  readonly clock?: Clock;
  readonly logger: Logger;
}

/** Commands an in-flight request caused, so that its response can wait for the output. */
type Actuations = Promise<void>[];

/** The ASN-CSE and the resources the agent keeps in it. */
export class AsnLocalCse {
  readonly cse: Cse;
  /** Creator (as the request's `fr` said) by resource id; undefined for the CSEBase and registrar record. */
  private readonly creators = new Map<string, string | undefined>();
  /** Command container resource id → actuator name. */
  private readonly commandContainers = new Map<string, string>();
  private readonly actuations = new AsyncLocalStorage<Actuations>();
  private seq = 0;

  constructor(private readonly o: AsnLocalCseOptions) {
    this.cse = new Cse({
      cseId: o.cseId,
      cseName: o.name,
      cseType: CseType.ASN,
      ...(o.clock ? { clock: o.clock } : {}),
      logger: o.logger.child({ component: 'asn-cse' }),
    });
    this.cse.events.on('resource', (e) => {
      this.onResource(e);
    });
  }

  /** CSE-relative path of the device `<AE>`, `barn-gw-1/barn-gw-1`. */
  get aePath(): string {
    return `${this.o.name}/${this.o.name}`;
  }

  /** Registers the device `<AE>` and creates the device and command containers. */
  async setUp(): Promise<void> {
    await this.create(this.o.name, ResourceType.AE, {
      'm2m:ae': { rn: this.o.name, api: this.o.appId, rr: true, srv: [this.o.releaseVersion] },
    });
    for (const d of this.o.devices) {
      await this.create(this.aePath, ResourceType.Container, containerContent(d.name, d.container));
      if (d.kind !== 'actuator') continue;
      const cmd = await this.create(
        `${this.aePath}/${d.name}`,
        ResourceType.Container,
        containerContent(COMMAND_CONTAINER_NAME, { mni: 10 }),
      );
      const ri = (cmd.pc?.['m2m:cnt'] as { ri?: unknown } | undefined)?.ri;
      if (typeof ri === 'string') this.commandContainers.set(ri, d.name);
    }
  }

  /** Stores one reading (a SenML pack, as the uplink would send it) in the device's container. */
  async store(reading: ReadingRecord): Promise<void> {
    const { device, values, sampledAt } = reading;
    const cin = senmlContent(toSenml(device, values, sampledAt.wallMs), 'senml+json');
    const rsp = await this.cse.handle(
      createRequest(
        `${this.aePath}/${device}`,
        ResourceType.ContentInstance,
        { 'm2m:cin': cin },
        { fr: this.o.aeId, rqi: this.rqi(), rvi: this.o.releaseVersion },
      ),
    );
    // A reading larger than the container's mbs (5207) cannot be kept; the others go on.
    if (!isSuccess(rsp.rsc))
      this.o.logger.warn('reading not stored in the local CSE', {
        device,
        rsc: rscLabel(rsp.rsc),
        dbg: rsp.pc?.['m2m:dbg'],
      });
  }

  /** Handles a request and resolves once the commands it caused have been applied (or failed). */
  async handle(req: RequestPrimitive): Promise<{ rsp: ResponsePrimitive; failed: readonly string[] }> {
    const caused: Actuations = [];
    const rsp = await this.actuations.run(caused, () => this.cse.handle(req));
    const results = await Promise.allSettled(caused);
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [describeError(r.reason)] : []));
    return { rsp, failed };
  }

  /** Records the registrar as a local `<remoteCSE>` (TS-0001 10.2.2.3). */
  setRegistrar(rec: RegistrarRecord): void {
    this.cse.setRegistrar(rec);
  }

  /** The resource `to` names (any addressing form), in wire form; undefined if there is none here. */
  resource(to: string): Readonly<Record<string, unknown>> | undefined {
    return this.cse.resource(to);
  }

  /** Who created a resource: its `fr`, or undefined for what the CSE holds by itself. */
  creatorOf(ri: string): string | undefined {
    return this.creators.get(ri);
  }

  /** The actuator whose command container has this resource id, if it is one. */
  actuatorOf(containerRi: string): string | undefined {
    return this.commandContainers.get(containerRi);
  }

  /** The AE-ID stem the agent's own requests carry: resources it created are the agent's. */
  get agentOriginator(): string {
    return this.o.aeId;
  }

  private onResource(e: ResourceEvent): void {
    if (e.kind === 'deleted') {
      this.creators.delete(e.ri);
      return;
    }
    if (e.kind !== 'created') return;
    this.creators.set(e.ri, e.originator);
    if (e.ty !== ResourceType.ContentInstance) return;
    const pi = e.resource.pi;
    const device = typeof pi === 'string' ? this.commandContainers.get(pi) : undefined;
    if (device === undefined) return;
    const cmd = parseCommand(e.resource.con);
    if (cmd === undefined) {
      this.o.logger.warn('command not understood; stored but not applied', { device, con: e.resource.con });
      return;
    }
    this.o.logger.info('command from the local CSE', { device, command: cmd, originator: e.originator });
    const applied = this.o.actuate(device, cmd);
    const caused = this.actuations.getStore();
    if (caused) caused.push(applied);
    else
      applied.catch((err: unknown) => {
        this.o.logger.error('actuator failed', { device, error: describeError(err) });
      });
  }

  private async create(to: string, ty: number, pc: Record<string, unknown>): Promise<ResponsePrimitive> {
    const rsp = await this.cse.handle({
      op: Operation.Create,
      to,
      fr: this.o.aeId,
      rqi: this.rqi(),
      rvi: this.o.releaseVersion,
      ty,
      pc,
    });
    if (!isSuccess(rsp.rsc)) {
      const dbg = rsp.pc?.['m2m:dbg'];
      throw new AsnSetupError(to, rsp.rsc, typeof dbg === 'string' ? dbg : '');
    }
    return rsp;
  }

  private rqi(): string {
    return `local-${++this.seq}`;
  }
}
