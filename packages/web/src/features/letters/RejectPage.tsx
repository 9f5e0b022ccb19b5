import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorSummary, errorFor, type FieldError } from '../../components/ErrorSummary';
import { Radios, Textarea } from '../../components/fields';
import { ProblemPanel, useSending } from '../../components/load';
import { Page } from '../../components/Page';
import { BackLink, Panel } from '../../components/ui';
import { REJECTION_REASONS, type RejectionReason } from '../../domain';
import { exchange } from '../../fhir/exchange';
import { t } from '../../strings/en-GB';

const MAX_DETAIL = 500;

export function validateRejection(reason: string, detail: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!Object.hasOwn(REJECTION_REASONS, reason))
    errors.push({ field: 'reason', message: t.reject.reasonError });
  if (detail.trim() === '') errors.push({ field: 'detail', message: t.reject.detailError });
  else if (detail.length > MAX_DETAIL) errors.push({ field: 'detail', message: t.reject.detailTooLong });
  return errors;
}

export function RejectPage() {
  const { documentId = '' } = useParams();
  const [reason, setReason] = useState('');
  const [detail, setDetail] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [done, setDone] = useState(false);
  const { sending, failure, send } = useSending();
  if (done) {
    return (
      <Page title={t.reject.doneTitle}>
        <Panel title={t.reject.doneTitle}>{t.reject.doneBody}</Panel>
        <p className="nhsuk-body">
          <Link to="/inbox">{t.letter.backToInbox}</Link>
        </p>
      </Page>
    );
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateRejection(reason, detail);
    setErrors(found);
    if (found.length > 0) return;
    await send(async () => {
      await exchange.reject(documentId, reason as RejectionReason, detail.trim());
      setDone(true);
    });
  };
  return (
    <Page
      title={t.reject.title}
      hasErrors={errors.length > 0}
      before={<BackLink to={`/inbox/${encodeURIComponent(documentId)}`}>{t.common.back}</BackLink>}
    >
      <ErrorSummary errors={errors} />
      {failure && <ProblemPanel error={failure} />}
      <p className="nhsuk-body">{t.reject.lead}</p>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Radios
          id="reason"
          label={t.reject.reasonLegend}
          legendSize="m"
          value={reason}
          onChange={setReason}
          error={errorFor(errors, 'reason')}
          options={(Object.keys(REJECTION_REASONS) as RejectionReason[]).map((code) => ({
            value: code,
            label: t.rejectionReasons[code],
          }))}
        />
        <Textarea
          id="detail"
          label={t.reject.detailLabel}
          hint={t.reject.detailHint}
          value={detail}
          onChange={setDetail}
          error={errorFor(errors, 'detail')}
          rows={4}
        />
        <button className="nhsuk-button nhsuk-button--warning" type="submit" disabled={sending}>
          {t.reject.submit}
        </button>
      </form>
    </Page>
  );
}
