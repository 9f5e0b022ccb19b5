import {
  DEFAULT_SNOMED_CLASSIFICATION,
  DEMO_SUBSET,
  DEMO_SUBSET_VERSION,
  DMD_SYSTEM,
  Rf2Hierarchy,
  SNOMED_CT_SYSTEM,
  preferredRank,
  wantedDescription,
  type Clock,
  type SnomedClassification,
} from '@carebridge/domain';
import type { Database } from '../store/database.js';
import {
  dmdConcepts,
  findDmdFiles,
  findSnomedFiles,
  rf2Rows,
  type DmdFiles,
  type SnomedFiles,
} from './release-files.js';
import { replaceRelease, replaceSnomedRelease, type ReleaseSummary } from './terminology-store.js';

/**
 * Loading terminology: the full releases or, on a demo start, the curated demonstration subset.
 *
 * A release is read twice, streamed. The first pass checks every row of every file of every system
 * and writes nothing, so a bad file changes nothing; it keeps only the is-a hierarchy (compact, for
 * classification). The second pass streams the rows into the tables in batches, in one transaction
 * per system, so readers see the previous release until it commits. Memory stays bounded by the
 * number of concepts, not by the size of the release (docs: bench/terminology-import.mjs).
 */

export interface ImportSources {
  /** An unpacked SNOMED CT RF2 Snapshot directory. */
  snomed?: string;
  /** An unpacked dm+d XML release directory. */
  dmd?: string;
  classification?: SnomedClassification;
}

export interface ImportedRelease extends ReleaseSummary {
  /** Data rows read from the release files. */
  rowsRead: number;
  /** Classified concepts left out because no description gave them a term. */
  withoutTerm: number;
}

export async function importTerminology(
  db: Database,
  sources: ImportSources,
  clock: Clock,
): Promise<ImportedRelease[]> {
  const classification = sources.classification ?? DEFAULT_SNOMED_CLASSIFICATION;
  const snomed = sources.snomed === undefined ? undefined : await checkSnomed(sources.snomed, classification);
  const dmd = sources.dmd === undefined ? undefined : await checkDmd(sources.dmd);
  const importedAt = clock.now();
  const imported: ImportedRelease[] = [];
  if (snomed !== undefined) {
    const release = { system: SNOMED_CT_SYSTEM, version: snomed.release.version, importedAt };
    const summary = await db.transaction((tx) =>
      replaceSnomedRelease(tx, release, {
        concepts: snomed.hierarchy.classifiedConcepts(),
        preferred: preferredDescriptions(snomed.release, classification),
        descriptions: wantedDescriptions(snomed.release, snomed.hierarchy),
      }),
    );
    imported.push({ ...summary, rowsRead: snomed.rowsRead });
  }
  if (dmd !== undefined) {
    const release = { system: DMD_SYSTEM, version: dmd.release.version, importedAt };
    const summary = await db.transaction((tx) => replaceRelease(tx, release, dmdConcepts(dmd.release)));
    imported.push({ ...summary, rowsRead: dmd.rowsRead, withoutTerm: 0 });
  }
  return imported;
}

/** Pass one over an RF2 Snapshot: checks every row, and classifies the concepts by is-a. */
async function checkSnomed(
  directory: string,
  classification: SnomedClassification,
): Promise<{ release: SnomedFiles; hierarchy: Rf2Hierarchy; rowsRead: number }> {
  const release = await findSnomedFiles(directory);
  const hierarchy = new Rf2Hierarchy(classification);
  let rowsRead = 0;
  const read = async (kind: keyof SnomedFiles['files'], add?: (fields: string[]) => void) => {
    for await (const rows of rf2Rows(kind, release.files[kind])) {
      rowsRead += rows.length;
      if (add !== undefined) for (const fields of rows) add(fields);
    }
  };
  await read('concept', (fields) => hierarchy.addConcept(fields));
  await read('relationship', (fields) => hierarchy.addRelationship(fields));
  hierarchy.classify();
  await read('language');
  await read('description');
  return { release, hierarchy, rowsRead };
}

/** Pass one over a dm+d release: checks every record. */
async function checkDmd(directory: string): Promise<{ release: DmdFiles; rowsRead: number }> {
  const release = await findDmdFiles(directory);
  let rowsRead = 0;
  for await (const concepts of dmdConcepts(release)) rowsRead += concepts.length;
  return { release, rowsRead };
}

async function* preferredDescriptions(release: SnomedFiles, classification: SnomedClassification) {
  for await (const rows of rf2Rows('language', release.files.language)) {
    yield rows.flatMap((fields) => {
      const rank = preferredRank(fields, classification);
      return rank === undefined ? [] : [{ descriptionId: fields[5] as string, rank }];
    });
  }
}

async function* wantedDescriptions(release: SnomedFiles, hierarchy: Rf2Hierarchy) {
  for await (const rows of rf2Rows('description', release.files.description)) {
    yield rows.flatMap((fields) => wantedDescription(fields, hierarchy) ?? []);
  }
}

/**
 * Seeds the demonstration subset when no terminology is loaded at all; a database that has a release
 * (demo or imported) is left alone. Returns whether it seeded.
 */
export async function seedDemoTerminologyIfEmpty(db: Database, clock: Clock): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query('select 1 from terminology_release limit 1');
    if (rows.length > 0) return false;
    const release = { version: DEMO_SUBSET_VERSION, importedAt: clock.now() };
    await replaceRelease(tx, { system: SNOMED_CT_SYSTEM, ...release }, [DEMO_SUBSET.snomed]);
    await replaceRelease(tx, { system: DMD_SYSTEM, ...release }, [DEMO_SUBSET.dmd]);
    return true;
  });
}
