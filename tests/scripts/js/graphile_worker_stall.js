// A steady workload for real graphile-worker (the version tests/scripts/graphile_worker_stall.sh
// installed), so that one task's workers can be stopped and resumed while the others go on.
//   node graphile_worker_stall.js CONNECTION_STRING migrate             its own schema
//   node graphile_worker_stall.js CONNECTION_STRING produce RATE TASK...  RATE jobs/s in all,
//                                                                       round robin, until killed
//   node graphile_worker_stall.js CONNECTION_STRING work TASK...        a worker for these tasks
//                                                                       (each job takes ~300 ms);
//                                                                       SIGTERM shuts it down
//                                                                       gracefully
// Each prints one JSON line when it is under way.
'use strict';
const { makeWorkerUtils, run } = require('graphile-worker');

const [conn, command, ...args] = process.argv.slice(2);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function migrate() {
  const utils = await makeWorkerUtils({ connectionString: conn });
  await utils.migrate();
  await utils.release();
  console.log(JSON.stringify({ migrated: true }));
}

async function produce(rate, tasks) {
  const utils = await makeWorkerUtils({ connectionString: conn });
  const start = Date.now();
  console.log(JSON.stringify({ producing: rate, tasks }));
  for (let n = 0; ; n++) {
    await utils.addJob(tasks[n % tasks.length], { n });
    const wait = start + ((n + 1) * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
  }
}

async function work(tasks) {
  const taskList = {};
  for (const task of tasks) taskList[task] = async () => sleep(300);
  // graphile-worker handles SIGTERM itself: it stops claiming, lets running jobs finish, exits.
  const runner = await run({ connectionString: conn, concurrency: 8, taskList });
  console.log(JSON.stringify({ working: tasks }));
  await runner.promise;
}

async function main() {
  if (command === 'migrate') return migrate();
  if (command === 'produce') return produce(Number(args[0]), args.slice(1));
  if (command === 'work') return work(args);
  throw new Error(`unknown command ${command}`);
}
main().catch(e => { console.error(e.stack || e); process.exit(1); });
