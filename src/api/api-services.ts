import type { Clock } from '../core/clock';
import type { RunStore } from '../redis/run-store';
import type { RunArchive } from '../store/run-archive';
import type { WorkflowRepo } from '../store/workflow-repo';
import type { RunEventStreamDeps } from './run-event-stream';
import type { RunReader } from './run-reader';
import type { RunService } from './run-service';

/** The long-lived services resolvers call; built once by the server's composition root. */
export interface ApiServices {
  clock: Clock;
  workflows: WorkflowRepo;
  runs: RunService;
  reader: RunReader;
  archive: RunArchive;
  store: RunStore;
  events: RunEventStreamDeps;
}
