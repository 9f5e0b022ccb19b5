import { performance } from 'node:perf_hooks';
import { DEFAULT_SNOMED_CLASSIFICATION, ReleaseFormatError, isSctid, systemClock } from '@carebridge/domain';
import type { Database } from '../store/database.js';
import { importTerminology, type ImportSources } from '../terminology/terminology-import.js';

/**
 * `npm run cli -- terminology import --snomed <RF2 Snapshot dir> [--dmd <dm+d XML dir>]
 * [--diagnosis-root SCTID]... [--allergy-root SCTID]... [--language-refset SCTID]...`: loads the
 * full releases in place of what is loaded for each system (the demo subset or an earlier release).
 * Every file is read and checked before anything is written; a malformed file names its file:line.
 */
export const TERMINOLOGY_USAGE =
  'terminology import [--snomed DIR] [--dmd DIR] [--diagnosis-root SCTID]... [--allergy-root SCTID]... [--language-refset SCTID]...';

export function parseTerminologyArguments(args: readonly string[]): ImportSources {
  const sources: ImportSources = {};
  const roots = { diagnosis: [] as string[], allergy: [] as string[] };
  const refsets: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag = '', inline] = (args[i] ?? '').split(/=(.*)/s, 2);
    const value = (): string => {
      const given = inline ?? args[++i];
      if (given === undefined || given === '')
        throw new Error(`${flag} needs a value\nusage: ${TERMINOLOGY_USAGE}`);
      return given;
    };
    const sctid = (): string => {
      const given = value();
      if (!isSctid(given)) throw new Error(`${flag} must be a SNOMED CT id, not '${given}'`);
      return given;
    };
    if (flag === '--snomed') sources.snomed = value();
    else if (flag === '--dmd') sources.dmd = value();
    else if (flag === '--diagnosis-root') roots.diagnosis.push(sctid());
    else if (flag === '--allergy-root') roots.allergy.push(sctid());
    else if (flag === '--language-refset') refsets.push(sctid());
    else throw new Error(`Unknown option ${flag}\nusage: ${TERMINOLOGY_USAGE}`);
  }
  if (sources.snomed === undefined && sources.dmd === undefined) {
    throw new Error(`Give --snomed, --dmd or both\nusage: ${TERMINOLOGY_USAGE}`);
  }
  const defaults = DEFAULT_SNOMED_CLASSIFICATION;
  sources.classification = {
    roots: {
      diagnosis: roots.diagnosis.length > 0 ? roots.diagnosis : (defaults.roots.diagnosis ?? []),
      allergy: roots.allergy.length > 0 ? roots.allergy : (defaults.roots.allergy ?? []),
    },
    languageRefsets: refsets.length > 0 ? refsets : defaults.languageRefsets,
  };
  return sources;
}

export async function runTerminologyCommand(
  db: Database,
  args: readonly string[],
  print: (line: string) => void,
): Promise<number> {
  const sources = parseTerminologyArguments(args);
  const started = performance.now();
  try {
    const imported = await importTerminology(db, sources, systemClock);
    for (const release of imported) {
      print(
        `${release.system} ${release.version}: ${release.concepts} concepts (${release.active} active, ` +
          `${release.inactive} inactive) from ${release.rowsRead} rows` +
          (release.withoutTerm > 0 ? `; ${release.withoutTerm} left out for want of a term` : ''),
      );
    }
    print(
      `Imported in ${((performance.now() - started) / 1000).toFixed(1)} s; the previous releases were replaced.`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ReleaseFormatError) {
      print(`Refused: ${error.message}. Nothing was changed.`);
      return 1;
    }
    throw error;
  }
}
