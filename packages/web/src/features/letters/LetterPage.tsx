import { Link, useParams } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { BackLink, InsetText, StateTag } from '../../components/ui';
import { referenceId } from '../../fhir/format';
import { REJECTION_REASONS, type RejectionReason } from '../../domain';
import { t } from '../../strings/en-GB';
import { loadLetter } from './letter-data';
import { LetterView } from './LetterView';

const RECIPIENT_ROLES = new Set(['gp', 'practice-admin', 'consultant', 'secretary']);

export function LetterPage() {
  const { documentId = '' } = useParams();
  const user = useSignedInUser();
  const [load] = useLoad(() => loadLetter(documentId, RECIPIENT_ROLES.has(user.role)), documentId);
  const title = load.status === 'ready' ? load.data.ledger.title : t.letter.caption;
  return (
    <Page
      title={title}
      caption={t.letter.caption}
      before={<BackLink to="/inbox">{t.letter.backToInbox}</BackLink>}
      wide
    >
      <Loaded load={load}>
        {(view) => {
          const patientId = referenceId(view.ledger.patient);
          const reason = view.rejectionReason as RejectionReason | undefined;
          return (
            <>
              <p className="nhsuk-body">
                {t.letter.status}: <StateTag state={view.state} />
              </p>
              {view.state === 'filed' && <InsetText>{t.letter.alreadyFiled}</InsetText>}
              {view.state === 'rejected' && reason !== undefined && (
                <InsetText>
                  {t.letter.alreadyRejected(
                    t.rejectionReasons[reason] ?? REJECTION_REASONS[reason]?.display ?? reason,
                  )}
                </InsetText>
              )}
              {(view.state === 'delivered' || view.state === 'opened') && (
                <div className="nhsuk-button-group">
                  <Link className="nhsuk-button" to={`/inbox/${encodeURIComponent(documentId)}/file`}>
                    {t.letter.fileButton}
                  </Link>
                  <Link
                    className="nhsuk-button nhsuk-button--secondary"
                    to={`/inbox/${encodeURIComponent(documentId)}/reject`}
                  >
                    {t.letter.rejectButton}
                  </Link>
                </div>
              )}
              {patientId !== undefined && (
                <p className="nhsuk-body">
                  <Link to={`/patients/${patientId}`}>{t.letter.viewPatient}</Link>
                </p>
              )}
              <LetterView letter={view.letter} sender={view.sender} />
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
