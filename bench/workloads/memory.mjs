import create from './create.mjs';
import read from './read.mjs';
import search from './search.mjs';

const MIXED = [create, read, search];

/** Mixed load for the soak duration, then the server's resident memory (VmRSS, VmHWM). */
export default {
  name: 'memory',
  title: 'Mixed load, then memory',
  description:
    'create, read and identifier search in turn on every connection (1:1:1) for the soak duration; then VmRSS and VmHWM of the server process',
  kind: 'soak',
  goalBytes: 250e6,
  needs: ['organisation', 'patients'],
  data: (ctx) => Object.fromEntries(MIXED.map((workload) => [workload.name, workload.data(ctx)])),
  load(data) {
    const plans = MIXED.map((workload) => workload.load(data[workload.name]));
    return {
      requests: plans.flatMap((plan) => plan.requests),
      extra: () => Object.fromEntries(plans.map((plan, i) => [MIXED[i].name, plan.extra?.() ?? {}])),
    };
  },
  after(ctx, result) {
    for (const workload of MIXED) workload.after?.(ctx, { ...result, extra: result.extra[workload.name] });
  },
};
