// The same server build as packages/server/dist/main.js, with its audit recorder replaced by one that
// keeps nothing: only for measuring what auditing costs (`read-audit-off`). Never run it on patients.
import { runServer } from '../../packages/server/dist/start.js';

const discard = { record: async () => {} };

runServer({ audit: discard }).catch((error) => {
  console.error('Carebridge (audit off, bench only) failed to start:', error);
  process.exit(1);
});
