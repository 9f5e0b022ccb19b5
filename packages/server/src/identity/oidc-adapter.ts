import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Database } from '../store/database.js';

/**
 * oidc-provider's storage on Carebridge's own database (PostgreSQL or PGlite), so sessions,
 * authorization codes and refresh tokens survive a restart and are shared by every process.
 * Expiry is checked on read; `deleteExpiredArtifacts` tidies up rows nobody will read again.
 */
export class DatabaseOidcAdapter implements Adapter {
  constructor(
    private readonly db: Database,
    private readonly model: string,
    private readonly clientLookup?: (clientId: string) => Promise<AdapterPayload | undefined>,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? epochSeconds() + expiresIn : null;
    await this.db.query(
      `insert into identity_oidc_artifact (model, id, payload, grant_id, uid, user_code, expires_at)
       values ($1, $2, $3, $4, $5, $6, to_timestamp($7))
       on conflict (model, id) do update
         set payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
             user_code = excluded.user_code, expires_at = excluded.expires_at`,
      [
        this.model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.uid ?? null,
        payload.userCode ?? null,
        expiresAt,
      ],
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Client') return this.clientLookup?.(id);
    return this.findWhere('id = $2', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('uid = $2', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('user_code = $2', userCode);
  }

  /**
   * Marks a one-time artifact (authorization code, rotated refresh token) used. Done as a
   * compare-and-set so that two concurrent redemptions cannot both succeed: the loser is refused
   * and, as for any reuse, every token of that grant is revoked.
   */
  async consume(id: string): Promise<void> {
    const { rowCount } = await this.db.query(
      `update identity_oidc_artifact set consumed_at = now()
        where model = $1 and id = $2 and consumed_at is null`,
      [this.model, id],
    );
    if (rowCount === 0) {
      const { rows } = await this.db.query<{ grant_id: string | null }>(
        'select grant_id from identity_oidc_artifact where model = $1 and id = $2',
        [this.model, id],
      );
      const grantId = rows[0]?.grant_id;
      if (grantId) await this.db.query('delete from identity_oidc_artifact where grant_id = $1', [grantId]);
      throw new errors.InvalidGrant(`${this.model} was already used`);
    }
  }

  async destroy(id: string): Promise<void> {
    await this.db.query('delete from identity_oidc_artifact where model = $1 and id = $2', [this.model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.query('delete from identity_oidc_artifact where model = $1 and grant_id = $2', [
      this.model,
      grantId,
    ]);
  }

  private async findWhere(condition: string, value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.db.query<{ payload: string; consumed: number | null }>(
      `select payload, extract(epoch from consumed_at)::float8 as consumed
         from identity_oidc_artifact
        where model = $1 and ${condition} and (expires_at is null or expires_at > to_timestamp($3))`,
      [this.model, value, epochSeconds()],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumed === null ? payload : { ...payload, consumed: Math.floor(row.consumed) };
  }
}

/** Removes artifacts that expired more than an hour ago; returns how many. */
export async function deleteExpiredArtifacts(db: Database): Promise<number> {
  const { rowCount } = await db.query(
    "delete from identity_oidc_artifact where expires_at < now() - interval '1 hour'",
  );
  return rowCount;
}

function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
