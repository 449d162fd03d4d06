// Records the event log fixtures (test/fixtures/eventlogs/) from real runs of the agent against the
// simulators. Each recording must replay (state, status and effects) and pass the secret scan before
// it is written; nothing is written otherwise.
//
//   node --import=./scripts/ts-loader.mjs test/helpers/record-event-log-fixtures.ts [NAME...]
//
// Without names, every scenario of event-log-fixtures.ts is recorded.
import { mkdirSync, writeFileSync } from 'node:fs';
import { replayEventLog } from '../../src/event-replay.js';
import { FIXTURE_DIR, FIXTURE_SCENARIOS, fixturePath, recordFixture, secretScan } from './event-log-fixtures.js';

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !FIXTURE_SCENARIOS.some((s) => s.name === name));
if (unknown.length) {
  process.stderr.write(`unknown scenario(s) ${unknown.join(', ')}; known: ${FIXTURE_SCENARIOS.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
mkdirSync(FIXTURE_DIR, { recursive: true });
let failed = false;
for (const scenario of FIXTURE_SCENARIOS.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
  const started = Date.now();
  const { text, secrets } = await recordFixture(scenario);
  const report = replayEventLog(text);
  const problems = [
    ...secretScan(text, secrets),
    ...(report.divergence
      ? [`replay diverges at seq ${report.divergence.seq} (${report.divergence.eventType}): ${report.divergence.aspect}`]
      : []),
    ...report.refused.map((s) => `segment ${s.index} cannot be replayed: ${s.refused}`),
  ];
  if (problems.length) {
    failed = true;
    process.stderr.write(`${scenario.name}: not written:\n  ${problems.join('\n  ')}\n`);
    continue;
  }
  writeFileSync(fixturePath(scenario.name), text);
  process.stdout.write(
    `${scenario.name}: ${report.events} events, ${Buffer.byteLength(text)} bytes, ${secrets.length} secrets checked, in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}
process.exit(failed ? 1 : 0);
