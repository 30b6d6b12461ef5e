// A steady real pg-boss workload for tests/scripts/pgboss_stall.sh (the pg-boss version that test
// installed). Usage:
//   node pgboss_stall_drive.js CONNECTION_STRING setup QUEUE...    create the schema and queues
//   node pgboss_stall_drive.js CONNECTION_STRING produce PER_SECOND QUEUE...
//                                                   send PER_SECOND jobs a second to each queue
//   node pgboss_stall_drive.js CONNECTION_STRING work QUEUE         run pg-boss's own worker
//                                                                   (work()) on one queue
// produce and work run until SIGTERM, then stop pg-boss gracefully (a worker finishes the jobs it
// holds, so no claim is left behind to look stuck). One worker process per queue: stopping a
// queue's workers is killing its process, as an operator stopping one deployment would.
'use strict';
const { PgBoss } = require('pg-boss');

const [conn, command, ...args] = process.argv.slice(2);

function boss() {
  // The supervisor and scheduler stay off: maintenance would change rows the test did not ask for.
  const b = new PgBoss({ connectionString: conn, supervise: false, schedule: false });
  b.on('error', e => console.error('pg-boss error:', e.message));
  return b;
}

function untilTerm(b, onStop = () => {}) {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    onStop();
    await b.stop({ graceful: true, wait: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function setup(queues) {
  const b = boss();
  await b.start();
  for (const q of queues) await b.createQueue(q);
  await b.stop({ graceful: false, wait: true });
}

async function produce(perSecond, queues) {
  const b = boss();
  await b.start();
  let sent = 0;
  const timer = setInterval(async () => {
    for (const q of queues) await b.send(q, { n: sent });
    sent++;
  }, 1000 / perSecond);
  untilTerm(b, () => clearInterval(timer));
}

async function work(queue) {
  const b = boss();
  await b.start();
  // Polling every 0.5 s, five at a time: a backlog drains at about 10 jobs/s.
  await b.work(queue, { pollingIntervalSeconds: 0.5, batchSize: 5 }, async () => {});
  untilTerm(b);
}

async function main() {
  if (command === 'setup') return setup(args);
  if (command === 'produce') return produce(Number(args[0]), args.slice(1));
  if (command === 'work') return work(args[0]);
  throw new Error(`unknown command ${command}`);
}
main().catch(e => { console.error(e.stack || e); process.exit(1); });
