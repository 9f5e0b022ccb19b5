import { runServer } from './start.js';

runServer().catch((error: unknown) => {
  console.error('Carebridge failed to start:', error);
  process.exit(1);
});
