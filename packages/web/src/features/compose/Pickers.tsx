import { useState } from 'react';
import { Radios, TextInput } from '../../components/fields';
import { t } from '../../strings/en-GB';
import { MEDICATION_CHANGES, type MedicationChange, type PickedMedicine } from './build-document';
import { ConceptSearch } from './ConceptSearch';
import { KIND_OF, type Concept, type Vocabulary } from './terminology';

/**
 * Pickers for coded entries: search the server's terminology, choose a concept, add it, and remove
 * any added one. A search box and plain buttons, so they work by keyboard and with every screen reader.
 */
export function ConceptPicker(props: {
  id: string;
  vocabulary: Vocabulary;
  label: string;
  hint: string;
  picked: readonly Concept[];
  onChange: (picked: Concept[]) => void;
  error?: string | undefined;
}) {
  const [choice, setChoice] = useState<Concept | undefined>();
  const [pickError, setPickError] = useState<string | undefined>();
  const add = () => {
    if (choice === undefined) {
      setPickError(t.compose.pickError);
      return;
    }
    setPickError(undefined);
    props.onChange([...props.picked, choice]);
    setChoice(undefined);
  };
  return (
    <div className="cb-picked">
      <PickedList
        items={props.picked.map((concept) => ({ key: concept.code, label: concept.display }))}
        onRemove={(code) => props.onChange(props.picked.filter((concept) => concept.code !== code))}
      />
      <ConceptSearch
        id={props.id}
        kind={KIND_OF[props.vocabulary]}
        label={props.label}
        hint={props.hint}
        chosen={choice}
        onChoose={setChoice}
        exclude={props.picked.map((concept) => concept.code)}
        error={pickError ?? props.error}
      />
      <AddButton what={t.compose.addWhat[props.vocabulary]} onClick={add} />
    </div>
  );
}

export function MedicinePicker(props: {
  picked: readonly PickedMedicine[];
  onChange: (picked: PickedMedicine[]) => void;
}) {
  const [choice, setChoice] = useState<Concept | undefined>();
  const [change, setChange] = useState<MedicationChange>('added');
  const [reason, setReason] = useState('');
  const [pickError, setPickError] = useState<string | undefined>();
  const add = () => {
    if (choice === undefined) {
      setPickError(t.compose.pickError);
      return;
    }
    setPickError(undefined);
    props.onChange([...props.picked, { concept: choice, change, reason }]);
    setChoice(undefined);
    setReason('');
    setChange('added');
  };
  return (
    <div className="cb-picked">
      <PickedList
        items={props.picked.map((medicine) => ({
          key: medicine.concept.code,
          label: `${medicine.concept.display}: ${t.compose.medicationChanges[medicine.change] ?? medicine.change}${medicine.reason ? ` (${medicine.reason})` : ''}`,
        }))}
        onRemove={(code) => props.onChange(props.picked.filter((medicine) => medicine.concept.code !== code))}
      />
      <ConceptSearch
        id="medicine-pick"
        kind="medicine"
        label={t.compose.medicinesLabel}
        hint={t.compose.medicinesHint}
        chosen={choice}
        onChoose={setChoice}
        exclude={props.picked.map((medicine) => medicine.concept.code)}
        error={pickError}
      />
      <Radios
        id="medicine-change"
        label={t.compose.changeLabel}
        inline
        small
        value={change}
        onChange={(value) => setChange(value as MedicationChange)}
        options={MEDICATION_CHANGES.map((value) => ({
          value,
          label: t.compose.medicationChanges[value] ?? value,
        }))}
      />
      <TextInput
        id="medicine-reason"
        label={t.compose.changeReasonLabel}
        value={reason}
        onChange={setReason}
        width={30}
      />
      <AddButton what={t.compose.addWhat.medicines} onClick={add} />
    </div>
  );
}

function AddButton({ what, onClick }: { what: string; onClick: () => void }) {
  return (
    <button
      className="nhsuk-button nhsuk-button--secondary nhsuk-button--small"
      type="button"
      onClick={onClick}
    >
      {t.compose.add}
      <span className="nhsuk-u-visually-hidden"> {what}</span>
    </button>
  );
}

function PickedList({
  items,
  onRemove,
}: {
  items: ReadonlyArray<{ key: string; label: string }>;
  onRemove: (key: string) => void;
}) {
  if (items.length === 0) return null;
  return (
    <ul className="nhsuk-list nhsuk-list--bullet" aria-label={t.compose.added}>
      {items.map((item) => (
        <li key={item.key}>
          {item.label}{' '}
          <button className="cb-link-button" type="button" onClick={() => onRemove(item.key)}>
            {t.compose.removeShort}
            <span className="nhsuk-u-visually-hidden"> {item.label}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
