import { useState } from 'react';
import { Radios, Select, TextInput } from '../../components/fields';
import { t } from '../../strings/en-GB';
import { MEDICATION_CHANGES, type MedicationChange, type PickedMedicine } from './build-document';
import { TERMINOLOGY, findConcept, type Concept, type Vocabulary } from './terminology';

/**
 * Pickers for coded entries: choose a concept from the shipped subset, add it, and remove any added
 * one. Plain select and buttons, so they work by keyboard and with every screen reader.
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
  const [choice, setChoice] = useState('');
  const [pickError, setPickError] = useState<string | undefined>();
  const available = TERMINOLOGY[props.vocabulary].filter(
    (concept) => !props.picked.some((picked) => picked.code === concept.code),
  );
  const add = () => {
    const concept = findConcept(props.vocabulary, choice);
    if (concept === undefined) {
      setPickError(t.compose.pickError);
      return;
    }
    setPickError(undefined);
    props.onChange([...props.picked, concept]);
    setChoice('');
  };
  return (
    <div className="cb-picked">
      <PickedList
        items={props.picked.map((concept) => ({ key: concept.code, label: concept.display }))}
        onRemove={(code) => props.onChange(props.picked.filter((concept) => concept.code !== code))}
      />
      <div className="cb-inline-form">
        <Select
          id={props.id}
          label={props.label}
          hint={props.hint}
          value={choice}
          onChange={setChoice}
          error={pickError ?? props.error}
          options={[
            { value: '', label: t.compose.chooseOne },
            ...available.map((concept) => ({ value: concept.code, label: concept.display })),
          ]}
        />
        <button
          className="nhsuk-button nhsuk-button--secondary nhsuk-button--small"
          type="button"
          onClick={add}
        >
          {t.compose.add}
          <span className="nhsuk-u-visually-hidden"> {t.compose.addWhat[props.vocabulary]}</span>
        </button>
      </div>
    </div>
  );
}

export function MedicinePicker(props: {
  picked: readonly PickedMedicine[];
  onChange: (picked: PickedMedicine[]) => void;
}) {
  const [choice, setChoice] = useState('');
  const [change, setChange] = useState<MedicationChange>('added');
  const [reason, setReason] = useState('');
  const [pickError, setPickError] = useState<string | undefined>();
  const add = () => {
    const concept = findConcept('medicines', choice);
    if (concept === undefined) {
      setPickError(t.compose.pickError);
      return;
    }
    setPickError(undefined);
    props.onChange([...props.picked, { concept, change, reason }]);
    setChoice('');
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
      <Select
        id="medicine-pick"
        label={t.compose.medicinesLabel}
        hint={t.compose.medicinesHint}
        value={choice}
        onChange={setChoice}
        error={pickError}
        options={[
          { value: '', label: t.compose.chooseOne },
          ...TERMINOLOGY.medicines
            .filter((concept) => !props.picked.some((picked) => picked.concept.code === concept.code))
            .map((concept) => ({ value: concept.code, label: concept.display })),
        ]}
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
      <button
        className="nhsuk-button nhsuk-button--secondary nhsuk-button--small"
        type="button"
        onClick={add}
      >
        {t.compose.add}
        <span className="nhsuk-u-visually-hidden"> {t.compose.addWhat.medicines}</span>
      </button>
    </div>
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
