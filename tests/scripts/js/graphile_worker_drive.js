// Pushes real jobs through graphile-worker (the version tests/scripts/graphile_worker_real.sh
// installed) so that queuewatch can be checked against the library's own view of them. Usage:
//   node graphile_worker_drive.js CONNECTION_STRING setup    migrate, add jobs, run a worker once
//                                                            (complete, fail for good, fail once)
//   node graphile_worker_drive.js CONNECTION_STRING hold     run a worker for task "hold" whose job
//                                                            never finishes; prints "held ID" once
//                                                            it is locked, then runs until killed
//   node graphile_worker_drive.js CONNECTION_STRING complete N   add N send_email jobs, run once
// Every command prints JSON (one line). Tasks: send_email (completes, or throws when the payload
// says fail), report (no worker here handles it, so its jobs stay ready), hold.
'use strict';
const { makeWorkerUtils, runOnce, run } = require('graphile-worker');

const [conn, command, arg] = process.argv.slice(2);
const quiet = { logger: undefined };

const sendEmail = async payload => {
  if (payload.fail) throw new Error(`failing on purpose: ${payload.fail}`);
};

async function setup() {
  const utils = await makeWorkerUtils({ connectionString: conn });
  await utils.migrate();
  const ids = { completed: [], failed: null, retry: null, later: null, reports: [] };
  for (let i = 1; i <= 5; i++) ids.completed.push((await utils.addJob('send_email', { n: i })).id);
  // Fails once with no attempt left: stays in the table, attempts = max_attempts.
  ids.failed = (await utils.addJob('send_email', { fail: 'final' }, { maxAttempts: 1 })).id;
  // Fails once with attempts left: back to waiting, run_at pushed by exp(attempts) seconds.
  ids.retry = (await utils.addJob('send_email', { fail: 'retry' }, { maxAttempts: 5 })).id;
  ids.later = (await utils.addJob('send_email', { n: 'later' },
    { runAt: new Date(Date.now() + 2 * 3600 * 1000) })).id;
  for (let i = 1; i <= 2; i++) ids.reports.push((await utils.addJob('report', { n: i })).id);
  await utils.release();
  // runOnce works until no job it handles is due, so the retried job (due again in ~2.7 s) and the
  // scheduled one are left alone.
  await runOnce({ connectionString: conn, concurrency: 1, taskList: { send_email: sendEmail } });
  console.log(JSON.stringify({ ids }));
}

async function hold() {
  let started;
  const runner = await run({
    connectionString: conn, concurrency: 1, pollInterval: 200, noHandleSignals: true,
    taskList: {
      hold: async (payload, helpers) => {
        started(helpers.job.id);
        await new Promise(() => {});  // never finishes: killed with its process
      },
    },
  });
  const utils = await makeWorkerUtils({ connectionString: conn });
  const job = await utils.addJob('hold', {});
  await utils.release();
  const id = await new Promise(resolve => { started = resolve; });
  console.log(JSON.stringify({ held: String(id), added: String(job.id) }));
  await runner.promise;
}

async function complete(n) {
  const utils = await makeWorkerUtils({ connectionString: conn });
  const ids = [];
  for (let i = 0; i < n; i++) ids.push((await utils.addJob('send_email', { n: `more ${i}` })).id);
  await utils.release();
  await runOnce({ connectionString: conn, concurrency: 1, taskList: { send_email: sendEmail } });
  console.log(JSON.stringify({ completed: ids }));
}

async function main() {
  if (command === 'setup') return setup();
  if (command === 'hold') return hold();
  if (command === 'complete') return complete(Number(arg));
  throw new Error(`unknown command ${command}`);
}
main().catch(e => { console.error(e.stack || e); process.exit(1); });
