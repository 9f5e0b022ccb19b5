import { Link } from 'react-router';
import { useSignedInUser } from '../../auth/AuthContext';
import { Loaded, useLoad } from '../../components/load';
import { Page } from '../../components/Page';
import { Table, Tag, type TagColour } from '../../components/ui';
import { exchange } from '../../fhir/exchange';
import { formatDateTime } from '../../fhir/format';
import { t } from '../../strings/en-GB';

const SEVERITY_COLOURS: Record<string, TagColour> = { critical: 'red', urgent: 'orange', warning: 'yellow' };

export function AlarmsPage() {
  const user = useSignedInUser();
  const [load] = useLoad(() => exchange.alarms(), user.username);
  const sender = user.role === 'consultant' || user.role === 'secretary';
  return (
    <Page title={t.alarms.title} wide>
      <p className="nhsuk-body">{t.alarms.lead}</p>
      <Loaded load={load}>
        {(alarms) =>
          alarms.length === 0 ? (
            <p className="nhsuk-body">{t.alarms.none}</p>
          ) : (
            <Table
              caption={t.alarms.title}
              head={t.alarms.columns}
              rows={alarms.map((alarm, index) => ({
                key: `${alarm.document}-${alarm.code}-${index}`,
                cells: [
                  <Tag colour={SEVERITY_COLOURS[alarm.severity] ?? 'grey'}>
                    {t.severities[alarm.severity] ?? alarm.severity}
                  </Tag>,
                  alarm.message,
                  <Link
                    to={
                      sender
                        ? `/letters/${encodeURIComponent(alarm.document)}`
                        : `/inbox/${encodeURIComponent(alarm.document)}`
                    }
                  >
                    {alarm.document}
                  </Link>,
                  formatDateTime(alarm.due),
                  t.alarms.parties[alarm.party] ?? alarm.party,
                ],
              }))}
            />
          )
        }
      </Loaded>
    </Page>
  );
}
