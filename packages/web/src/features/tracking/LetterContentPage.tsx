import { useParams } from 'react-router';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { BackLink } from '../../components/ui';
import { fhir } from '../../fhir/client';
import { t } from '../../strings/en-GB';
import { readLetter } from '../letters/document-model';
import { LetterView } from '../letters/LetterView';

/** The sender's view of a letter it wrote, as the recipient will read it. */
export function LetterContentPage() {
  const { documentId = '' } = useParams();
  const [load] = useLoad(async () => readLetter(await fhir.documentContent(documentId)), documentId);
  const title = load.status === 'ready' ? load.data.title : t.letter.caption;
  return (
    <Page
      title={title}
      caption={t.letter.caption}
      before={<BackLink to={`/letters/${encodeURIComponent(documentId)}`}>{t.common.back}</BackLink>}
      wide
    >
      <Loaded load={load}>{(letter) => <LetterView letter={letter} />}</Loaded>
    </Page>
  );
}
