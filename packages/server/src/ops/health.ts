import type { FastifyInstance } from 'fastify';
import type { Database } from '../store/database.js';

/**
 * GET /healthz: 200 when the server can reach its database, 503 otherwise, so a load balancer
 * stops sending traffic to a process that could only fail it.
 */
export function installHealth(app: FastifyInstance, db: Database): void {
  app.get('/healthz', async (_request, reply) => {
    try {
      await db.query('select 1');
      return reply.code(200).send({ status: 'ok', database: db.kind });
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: db.kind });
    }
  });
}
