import type { Database, SqlExecutor } from '../store/database.js';
import {
  AUDIT_CONTENT_COLUMNS,
  auditContentHash,
  GENESIS_HASH,
  linkHash,
  type AuditContent,
} from './audit-chain.js';

export type AuditChainVerification =
  | {
      ok: true;
      /** Audit rows sealed by the chain, every one of them verified. */
      sealed: number;
      /** Audit rows not yet sealed: protected only by the triggers until the sealer reaches them. */
      unsealed: number;
      /**
       * Of those, rows with ids the chain has already passed, which no sealer will reach: inserted
       * with a chosen id, or a fault in sealing. Always 0 unless something is wrong.
       */
      passedOver: number;
      /** The last link: record it outside the database to detect a later truncation of the chain. */
      head: { seq: number; hash: string } | undefined;
    }
  | {
      ok: false;
      /** The first link that does not verify. */
      seq: number;
      /** The audit row at fault, or the link's first row when the link itself was altered. */
      auditId: number;
      reason: string;
      /** Rows sealed by the links before it, which verified. */
      sealed: number;
    };

interface StoredLink {
  seq: number;
  audit_ids: number[];
  content_hashes: string;
  prev_hash: string;
  hash: string;
}

interface StoredRow extends AuditContent {
  id: number;
}

/** Links are read a few at a time, so verification needs bounded memory however long the chain. */
const LINKS_PER_PAGE = 5;
const HASH_LENGTH = 64;

/**
 * Recomputes the whole chain from the stored audit rows, in one consistent snapshot, and names the
 * first link that does not verify: a row that was altered or deleted, or a link that was altered,
 * deleted, inserted or moved.
 */
export async function verifyAuditChain(db: Database): Promise<AuditChainVerification> {
  return db.transaction(async (tx) => {
    // One snapshot for every page and the final count, so that concurrent sealing cannot make a
    // row appear in neither (or both) counts.
    await tx.query('set transaction isolation level repeatable read, read only');
    return verifyAuditChainWithin(tx);
  });
}

/** The same, inside a transaction the caller already holds (which fixes what it sees). */
export async function verifyAuditChainWithin(tx: SqlExecutor): Promise<AuditChainVerification> {
  const progress: ChainProgress = { sealed: 0, lastId: 0 };
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (;;) {
    const { rows: links } = await tx.query<StoredLink>(
      `select seq, to_json(audit_ids) as audit_ids, content_hashes, prev_hash, hash
         from audit_chain where seq >= $1 order by seq limit $2`,
      [expectedSeq, LINKS_PER_PAGE],
    );
    const rows = await readRows(
      tx,
      links.flatMap((link) => link.audit_ids),
    );
    for (const link of links) {
      const fault = linkFault(link, expectedSeq, prevHash) ?? rowFault(link, rows, progress.lastId);
      if (fault) return { ok: false, seq: link.seq, ...fault, sealed: progress.sealed };
      progress.sealed += link.audit_ids.length;
      progress.lastId = link.audit_ids.at(-1) ?? progress.lastId;
      prevHash = link.hash;
      expectedSeq += 1;
    }
    if (links.length < LINKS_PER_PAGE) break;
  }
  const { rows: counts } = await tx.query<{ total: number; passed_over: number }>(
    `select count(*)::integer as total, (count(*) filter (where id <= $1))::integer as passed_over
       from audit_event`,
    [progress.lastId],
  );
  const lastSeq = expectedSeq - 1;
  return {
    ok: true,
    sealed: progress.sealed,
    unsealed: (counts[0]?.total ?? 0) - progress.sealed,
    passedOver: (counts[0]?.passed_over ?? 0) - progress.sealed,
    head: lastSeq === 0 ? undefined : { seq: lastSeq, hash: prevHash },
  };
}

interface ChainProgress {
  /** Rows sealed by the links verified so far. */
  sealed: number;
  /** The highest id they seal: every later link seals only higher ids. */
  lastId: number;
}

async function readRows(tx: SqlExecutor, ids: number[]): Promise<Map<number, StoredRow>> {
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query<StoredRow>(
    `select e.id, ${AUDIT_CONTENT_COLUMNS} from audit_event e
      where e.id in (select value::bigint from jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(ids)],
  );
  return new Map(rows.map((row) => [row.id, row]));
}

type Fault = { auditId: number; reason: string };

/** Whether the link is where it should be and is the link the sealer wrote. */
function linkFault(link: StoredLink, expectedSeq: number, prevHash: string): Fault | undefined {
  const fault = (reason: string) => ({ auditId: link.audit_ids[0] ?? 0, reason });
  if (link.seq !== expectedSeq) {
    const missing =
      link.seq - 1 === expectedSeq ? `link ${expectedSeq} is` : `links ${expectedSeq}–${link.seq - 1} are`;
    return fault(`${missing} missing: the chain jumps from link ${expectedSeq - 1} to link ${link.seq}`);
  }
  if (link.prev_hash !== prevHash) {
    return fault(
      `its previous hash does not match link ${expectedSeq - 1}: a link was altered, moved or removed`,
    );
  }
  if (link.content_hashes.length !== link.audit_ids.length * HASH_LENGTH) {
    return fault('its content hashes do not match its audit ids: the link was altered');
  }
  if (linkHash(prevHash, link.seq, link.audit_ids, link.content_hashes) !== link.hash) {
    return fault('its hash does not match what it seals: the link was altered');
  }
  return undefined;
}

/** Whether every row the link seals still exists, once, with the content that was sealed. */
function rowFault(link: StoredLink, rows: Map<number, StoredRow>, lastSealedId: number): Fault | undefined {
  let previousId = lastSealedId;
  for (const [position, id] of link.audit_ids.entries()) {
    // Sealing goes up the ids, so any id not above the one before was sealed twice or moved.
    if (id <= previousId) {
      return {
        auditId: id,
        reason: `audit row ${id} is out of order: the sealer only ever seals higher ids`,
      };
    }
    previousId = id;
    const row = rows.get(id);
    if (row === undefined)
      return { auditId: id, reason: `audit row ${id}, sealed by this link, has been deleted` };
    const sealedHash = link.content_hashes.slice(position * HASH_LENGTH, (position + 1) * HASH_LENGTH);
    if (auditContentHash(row) !== sealedHash) {
      return {
        auditId: id,
        reason: `audit row ${id} no longer matches the content sealed for it: the row was altered`,
      };
    }
  }
  return undefined;
}

/**
 * `audit verify`: prints what verification found and returns the process exit code (0 intact,
 * 1 broken), so that a scheduled job can alert on a non-zero exit.
 */
export async function runAuditVerifyCommand(db: Database, write: (line: string) => void): Promise<number> {
  const startedAt = performance.now();
  const result = await verifyAuditChain(db);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  if (result.ok) {
    write(`Audit chain intact: ${count(result.sealed, 'record')} sealed and verified in ${seconds} s.`);
    if (result.head) {
      write(`Head: link ${result.head.seq}, SHA-256 ${result.head.hash}`);
      write('Keep this head somewhere the database cannot reach: a later run must still contain it.');
    }
    write(
      result.unsealed === 0
        ? 'Every audit record is sealed.'
        : `${count(result.unsealed, 'record')} not yet sealed (the sealer chains new records within about a second).`,
    );
    if (result.passedOver > 0) {
      write(
        `WARNING: ${count(result.passedOver, 'record')} below the chain's head will never be sealed ` +
          '(inserted with a chosen id, or a sealing fault): investigate.',
      );
      return 1;
    }
    return 0;
  }
  write(`AUDIT CHAIN BROKEN at link ${result.seq} (audit record ${result.auditId}).`);
  write(`Reason: ${result.reason}.`);
  write(
    `${count(result.sealed, 'record')} sealed by earlier links verified. Treat this as a security incident: see docs/audit.md.`,
  );
  return 1;
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString('en-GB')} ${noun}${n === 1 ? '' : 's'}`;
}
