/** Start to ready on the populated database: spawn → first 200 from /healthz, several times. */
export default {
  name: 'startup',
  title: 'Start to ready',
  description:
    'spawn `node packages/server/dist/main.js` on the already migrated and populated database → first 200 from `/healthz` (polled every 10 ms)',
  kind: 'startup',
  goalMs: 2000,
};
