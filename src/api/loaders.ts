import DataLoader from 'dataloader';
import type { ApiServices } from './api-services';
import type { ApiLoaders } from './context';

/** Loaders for one request; they see every tenant's rows, so resolvers check `tenantId` on what they get. */
export function createLoaders(services: ApiServices): ApiLoaders {
  return {
    workflow: new DataLoader(async (ids) => {
      const rows = await services.workflows.getMany(ids);
      const byId = new Map(rows.map((w) => [w.id, w]));
      return ids.map((id) => byId.get(id));
    }),
    run: new DataLoader((ids) => services.reader.getMany(ids)),
    hotRun: new DataLoader((ids) => services.store.loadMany(ids)),
  };
}
