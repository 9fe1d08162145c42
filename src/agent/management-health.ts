/** Publishes the agent's health (`health.ts`) as a contentInstance under our `<AE>`, when it changed. */
import type { Connection } from '../binding/ws/types.js';
import { ResourceType } from '../protocol/codes.js';
import { healthRecords, type HealthSource } from './health.js';
import type { MgmtRequests } from './management-requests.js';

/** Name of the container of health records under our `<AE>`. */
export const HEALTH_CONTAINER_NAME = 'health';

export class HealthPublisher {
  private last?: string;

  constructor(
    private readonly o: {
      readonly name: string;
      readonly aePath: () => string;
      readonly health: () => HealthSource;
    },
    private readonly req: MgmtRequests,
  ) {}

  /** A SenML record of the agent's health, when it differs from the last one published. */
  async publish(conn: Connection): Promise<void> {
    const pack = healthRecords(this.o.name, this.o.health());
    // Compared without the base time: the same health an hour later is not news.
    const key = JSON.stringify(pack.map((r) => ({ ...r, bt: undefined })));
    if (key === this.last) return;
    const container = await this.req.ensure(conn, 'health', this.o.aePath(), ResourceType.Container, {
      'm2m:cnt': { rn: HEALTH_CONTAINER_NAME, mni: 96 },
    });
    if (container === undefined) return;
    const path = `${this.o.aePath()}/${HEALTH_CONTAINER_NAME}`;
    if (await this.req.addInstance(conn, 'health', path, 'application/senml+json:0', JSON.stringify(pack)))
      this.last = key;
  }
}
