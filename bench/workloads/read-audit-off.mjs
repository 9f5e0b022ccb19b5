import read from './read.mjs';

/**
 * The read workload against the same build with its audit recorder replaced by one that keeps
 * nothing (bench/servers/audit-off.mjs): what auditing every read costs, measured in the same run.
 */
export default {
  ...read,
  name: 'read-audit-off',
  title: 'Read by id, audit off',
  description:
    '`GET /fhir/Patient/<id>` as `read`, on the same build with auditing switched off (bench only)',
  server: 'audit-off',
  baseline: undefined,
  goal: undefined,
  goals: undefined,
};
