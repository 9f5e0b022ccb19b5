import { ReleaseFormatError, isSctid } from './rf2.js';
import type { TerminologyConcept } from './value-sets.js';

/**
 * dm+d XML records (one element per VTM, VMP or AMP, with simple child elements) as picker concepts.
 * Pure: the server's streaming XML reader hands each record's child elements here. All three levels
 * are medicines: a clinician may prescribe by moiety (VTM), by product (VMP) or by brand (AMP).
 * INVALID=1 marks a concept withdrawn from use: kept, as inactive, and never offered.
 */
export type DmdFileKind = 'vtm' | 'vmp' | 'amp';

/** Each file's record element and the child element holding the concept's id. */
export const DMD_RECORDS: Readonly<Record<DmdFileKind, { element: string; id: string }>> = {
  vtm: { element: 'VTM', id: 'VTMID' },
  vmp: { element: 'VMP', id: 'VPID' },
  amp: { element: 'AMP', id: 'APID' },
};

export function dmdConcept(
  kind: DmdFileKind,
  fields: Readonly<Record<string, string>>,
  file: string,
  line: number,
): TerminologyConcept {
  const { id } = DMD_RECORDS[kind];
  const code = fields[id]?.trim() ?? '';
  if (!isSctid(code)) {
    throw new ReleaseFormatError(file, line, `${DMD_RECORDS[kind].element} has no valid ${id} ('${code}')`);
  }
  const name = fields.NM?.trim() ?? '';
  if (name === '') throw new ReleaseFormatError(file, line, `${DMD_RECORDS[kind].element} ${code} has no NM`);
  const invalid = fields.INVALID?.trim();
  if (invalid !== undefined && invalid !== '0' && invalid !== '1') {
    throw new ReleaseFormatError(file, line, `INVALID must be 0 or 1, not '${invalid}'`);
  }
  // An AMP's name repeats across suppliers; its description names the supplier too.
  const description = kind === 'amp' ? fields.DESC?.trim() : undefined;
  const display = description || name;
  return {
    code,
    kind: 'medicine',
    display,
    active: invalid !== '1',
    terms: display === name ? [display] : [display, name],
  };
}
