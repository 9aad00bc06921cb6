/**
 * `npm run bench [-- <area> ...]`: every benchmark, each against its baseline in the same run,
 * reported as ratios. Areas: engine, models, writer (all by default).
 */
type BenchModule = { main: () => Promise<void> };
// require, not import(): the areas are loaded one at a time (each loads heavy modules), and the
// CommonJS build has no top-level await for a dynamic import.
/* eslint-disable @typescript-eslint/no-require-imports */
const AREAS: Record<string, () => BenchModule> = {
  engine: () => require('./engine/index') as BenchModule,
  models: () => require('./models/index') as BenchModule,
  writer: () => require('./writer/index') as BenchModule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const areas = asked.length > 0 ? asked : Object.keys(AREAS);
  for (const area of areas) {
    const load = AREAS[area];
    if (!load) throw new Error(`unknown benchmark area "${area}"; one of ${Object.keys(AREAS).join(', ')}`);
    let mod: { main: () => Promise<void> };
    try {
      mod = load();
    } catch (err) {
      console.log(`\n(${area}: not available: ${(err as Error).message})`);
      continue;
    }
    await mod.main();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
