// Pushes real jobs through pg-boss (the version tests/scripts/pgboss_real.sh installed) so that
// queuewatch can be checked against the library's own view of them. Usage:
//   node pgboss_drive.js CONNECTION_STRING setup      create the schema, queues and jobs; print
//                                                     the library's view as JSON
//   node pgboss_drive.js CONNECTION_STRING view       print the library's view again
//   node pgboss_drive.js CONNECTION_STRING expire     prove expire-while-active: claim a job with
//                                                     a 1 s expiry, let pg-boss's supervisor fail
//                                                     it, print the states it went through
//   node pgboss_drive.js CONNECTION_STRING finish N   complete N ready "emails", fail the last
//                                                     "reports" job (no retry left)
// Jobs are claimed with fetch() (never work()), so nothing runs behind the test's back, and the
// supervisor/scheduler are off so that pg-boss changes no row the test did not ask it to.
'use strict';
const { PgBoss } = require('pg-boss');

const [conn, command, arg] = process.argv.slice(2);
const HOUR = 3600;

function boss(extra = {}) {
  return new PgBoss({ connectionString: conn, supervise: false, schedule: false, ...extra });
}

async function byState(b) {
  const db = b.getDb();
  const res = await db.executeSql(
    `SELECT name, state::text AS state, count(*)::int AS n,
            count(*) FILTER (WHERE start_after <= now())::int AS due
       FROM pgboss.job GROUP BY 1, 2 ORDER BY 1, 2`);
  return res.rows;
}

async function view(b) {
  const jobs = {};
  for (const name of ['emails', 'reports']) {
    jobs[name] = (await b.findJobs(name)).map(j => ({ id: j.id, state: j.state, data: j.data }));
  }
  return { byState: await byState(b), jobs };
}

async function setup() {
  const b = boss();
  b.on('error', e => console.error('pg-boss error:', e.message));
  await b.start();
  // retryLimit 1: the first failure goes to `retry`, the second to `failed`. retryDelay 0: a job
  // waiting for its retry is due at once, so it waits like any ready job.
  await b.createQueue('emails', { retryLimit: 1, retryDelay: 0 });
  await b.createQueue('reports', { retryLimit: 0 });

  const emails = [];
  for (let i = 1; i <= 6; i++) emails.push(await b.send('emails', { n: i }));
  const later = await b.send('emails', { n: 'later' }, { startAfter: 2 * HOUR });
  // Claim four: complete two, fail one (to retry), hold one in progress.
  const claimed = await b.fetch('emails', { batchSize: 4 });
  if (claimed.length !== 4) throw new Error(`fetched ${claimed.length} emails, wanted 4`);
  await b.complete('emails', [claimed[0].id, claimed[1].id]);
  await b.fail('emails', claimed[2].id, { message: 'first attempt failed' });

  // reports: retryLimit 0, so one failure is final; one more job waits.
  const reports = [await b.send('reports', { n: 1 }), await b.send('reports', { n: 2 })];
  const [r] = await b.fetch('reports', { batchSize: 1 });
  await b.fail('reports', r.id, { message: 'final failure' });

  const out = {
    ids: {
      completed: [claimed[0].id, claimed[1].id], retry: claimed[2].id, active: claimed[3].id,
      later, failed: r.id, emails, reports,
    },
    ...(await view(b)),
  };
  console.log(JSON.stringify(out));
  await b.stop({ graceful: false, wait: true });
}

async function expire() {
  // The supervisor expires claims only in a monitor pass, at most one per monitorIntervalSeconds.
  const b = boss({ monitorIntervalSeconds: 1 });
  b.on('error', e => console.error('pg-boss error:', e.message));
  await b.start();
  await b.createQueue('expiring', { retryLimit: 1, expireInSeconds: 1 });
  const id = await b.send('expiring', {});
  const states = [];
  const state = async () => (await b.findJobs('expiring', { id }))[0].state;
  for (let attempt = 0; attempt < 2; attempt++) {
    const [job] = await b.fetch('expiring');
    if (!job || job.id !== id) throw new Error('could not claim the expiring job');
    states.push(await state());
    // Wait (on the condition, bounded) until pg-boss's own supervisor has expired the claim.
    for (let i = 0; i < 100; i++) {
      await b.supervise('expiring');
      const s = await state();
      if (s !== 'active') { states.push(s); break; }
      await new Promise(r => setTimeout(r, 200));
    }
  }
  console.log(JSON.stringify({ id, states }));
  await b.stop({ graceful: false, wait: true });
}

async function finish(n) {
  const b = boss();
  await b.start();
  const jobs = await b.fetch('emails', { batchSize: n });
  if (jobs.length !== n) throw new Error(`fetched ${jobs.length} emails, wanted ${n}`);
  await b.complete('emails', jobs.map(j => j.id));
  const [r] = await b.fetch('reports');
  if (!r) throw new Error('no report to fail');
  await b.fail('reports', r.id, { message: 'final failure' });
  console.log(JSON.stringify({ completed: jobs.map(j => j.id), failed: r.id }));
  await b.stop({ graceful: false, wait: true });
}

async function main() {
  if (command === 'setup') return setup();
  if (command === 'expire') return expire();
  if (command === 'finish') return finish(Number(arg));
  if (command === 'view') {
    const b = boss();
    await b.start();
    console.log(JSON.stringify(await view(b)));
    return b.stop({ graceful: false, wait: true });
  }
  throw new Error(`unknown command ${command}`);
}
main().catch(e => { console.error(e.stack || e); process.exit(1); });
