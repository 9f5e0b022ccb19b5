import { mulberry32 } from '../lib/stats.mjs';

const SELECT = 'select content from resource where resource_type = $1 and id = $2';

/** The ceiling for read and search: a primary-key (unique-index) lookup of a stored row. */
export default {
  name: 'raw-select',
  title: 'Raw select',
  description:
    '`select content from resource where resource_type = $1 and id = $2` for a random stored row, straight through `pg` as a named prepared statement',
  kind: 'pg',
  needs: ['raw-rows'],
  data: (ctx) => ({ ids: ctx.fixtures['raw-rows'].ids, seed: ctx.nextSeed() }),
  load({ ids, seed }) {
    const random = mulberry32(seed);
    return {
      async operation(client) {
        const { rows } = await client.query({
          name: 'bench_raw_select',
          text: SELECT,
          values: ['Patient', ids[Math.floor(random() * ids.length)]],
        });
        if (rows.length !== 1) throw new Error('raw-select found no row');
      },
    };
  },
};
