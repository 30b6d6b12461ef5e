// Pushes real jobs through pg-boss 9 (the version tests/scripts/pgboss9_real.sh installed; its
// API differs from 10+). Usage: node pgboss9_drive.js CONNECTION_STRING
// Creates the schema, then: 4 "emails" (retryLimit 1) of which one completes, one fails once (to
// retry), one is held active, one waits; one more scheduled for later; one "exp" job claimed
// with a 1 s expiry and no retry, left for pg-boss's maintenance to expire. Prints the ids and
// the state pg-boss gave the expiring job, as JSON.
'use strict';
const PgBoss = require('pg-boss');

(async () => {
  // Maintenance (which expires claims) every second, so the expiry is seen within seconds.
  const b = new PgBoss({ connectionString: process.argv[2], maintenanceIntervalSeconds: 1,
                         noScheduling: true });
  b.on('error', e => console.error('pg-boss error:', e.message));
  await b.start();
  const later = await b.send('emails', { n: 'later' }, { startAfter: 7200 });
  for (let i = 0; i < 4; i++) await b.send('emails', { n: i }, { retryLimit: 1 });
  const jobs = await b.fetch('emails', 3);
  if (!jobs || jobs.length !== 3) throw new Error('could not claim 3 emails');
  await b.complete(jobs[0].id);
  await b.fail(jobs[1].id);
  const exp = await b.send('exp', {}, { expireInSeconds: 1, retryLimit: 0 });
  const claimed = await b.fetch('exp');
  if (!claimed || claimed.id !== exp) throw new Error('could not claim the expiring job');
  let state = 'active';
  for (let i = 0; i < 150 && state === 'active'; i++) {
    await new Promise(r => setTimeout(r, 200));
    state = (await b.getJobById(exp)).state;
  }
  console.log(JSON.stringify({ later, completed: jobs[0].id, retry: jobs[1].id, active: jobs[2].id,
                               exp, exp_state: state }));
  await b.stop({ graceful: false, wait: true });
})().catch(e => { console.error(e.stack || e); process.exit(1); });
