import type DataLoader from 'dataloader';
import type { StoredRun } from '../redis/run-state-codec';
import type { RunView, WorkflowView } from '../store/views';
import type { ApiServices } from './api-services';

/** Per-request loaders: every run or workflow read in one GraphQL operation is batched and cached. */
export interface ApiLoaders {
  workflow: DataLoader<string, WorkflowView | undefined>;
  run: DataLoader<string, RunView | undefined>;
  /** A run's live state in Redis, for mutations that change it. */
  hotRun: DataLoader<string, StoredRun | undefined>;
}

/** What every resolver gets. One per HTTP request or per subscription operation. */
export interface ApiContext {
  tenantId: string;
  loaders: ApiLoaders;
  services: ApiServices;
}
