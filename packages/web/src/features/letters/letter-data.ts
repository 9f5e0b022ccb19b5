import type { Organization } from 'fhir/r4';
import { fhir } from '../../fhir/client';
import { exchange, type Ledger } from '../../fhir/exchange';
import { readLetter, type LetterDocument } from './document-model';

export interface LetterView {
  ledger: Ledger;
  letter: LetterDocument;
  sender?: string;
  /** The reader's own row (a recipient sees only its own). */
  state: string;
  rejectionReason?: string;
}

/**
 * A received letter: its ledger row, its content, and who sent it. Reading a delivered letter marks
 * it opened (the sender's tracking shows when it was first read), as opening a letter in a GP
 * system does.
 */
export async function loadLetter(documentId: string, markOpened: boolean): Promise<LetterView> {
  let ledger = await exchange.ledger(documentId);
  const content = await fhir.documentContent(documentId);
  if (markOpened && ledger.recipients.some((row) => row.state === 'delivered')) {
    await exchange.open(documentId);
    ledger = await exchange.ledger(documentId);
  }
  const sender =
    ledger.sender === undefined
      ? undefined
      : await fhir.read<Organization>(ledger.sender).catch(() => undefined);
  const row = ledger.recipients[0];
  return {
    ledger,
    letter: readLetter(content),
    state: row?.state ?? ledger.status,
    ...(sender?.name === undefined ? {} : { sender: sender.name }),
    ...(row?.rejectionReason === undefined ? {} : { rejectionReason: row.rejectionReason }),
  };
}
