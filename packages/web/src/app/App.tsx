import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { AuthProvider, useUser } from '../auth/AuthContext';
import { CallbackPage, SignInRedirect, StartPage } from '../auth/AuthPages';
import { CALLBACK_PATH } from '../auth/session';
import { Page } from '../components/Page';
import { InboxPage } from '../features/inbox/InboxPage';
import { FilePage } from '../features/letters/FilePage';
import { LetterPage } from '../features/letters/LetterPage';
import { RejectPage } from '../features/letters/RejectPage';
import { ComposePage } from '../features/compose/ComposePage';
import { BacklogReleasePage } from '../features/operations/BacklogReleasePage';
import { OperationsPage } from '../features/operations/OperationsPage';
import { PatientSummaryPage } from '../features/patients/PatientSummaryPage';
import { NewRequestPage } from '../features/requests/NewRequestPage';
import { RequestPage } from '../features/requests/RequestPage';
import { RequestTrackerPage } from '../features/requests/RequestTrackerPage';
import { RequestWorklistPage } from '../features/requests/RequestWorklistPage';
import { WorkloadLedgerPage } from '../features/requests/WorkloadLedgerPage';
import { AuditSearchPage } from '../features/privacy/AuditSearchPage';
import { BreakGlassReviewsPage } from '../features/privacy/BreakGlassReviewsPage';
import { AlarmsPage } from '../features/tracking/AlarmsPage';
import { SentLettersPage } from '../features/tracking/SentLettersPage';
import { LetterContentPage } from '../features/tracking/LetterContentPage';
import { TrackingPage } from '../features/tracking/TrackingPage';
import { t } from '../strings/en-GB';
import { Layout } from './Layout';
import { homeFor } from './navigation';

function Home() {
  const user = useUser();
  if (user === undefined) return <StartPage />;
  const home = homeFor(user.role);
  if (home !== undefined) return <Navigate to={home} replace />;
  return (
    <Page title={t.auth.noRoleTitle}>
      <p className="nhsuk-body">{t.auth.noRoleBody}</p>
    </Page>
  );
}

function NotFound() {
  return (
    <Page title={t.common.notFoundTitle}>
      <p className="nhsuk-body">{t.common.notFoundBody}</p>
    </Page>
  );
}

/** Choosing "Write a letter" again starts a new, empty letter rather than keeping the last one. */
function FreshComposePage() {
  return <ComposePage key={useLocation().key} />;
}

function SignedInRoutes() {
  return (
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/inbox" element={<InboxPage />} />
      <Route path="/inbox/:documentId" element={<LetterPage />} />
      <Route path="/inbox/:documentId/file" element={<FilePage />} />
      <Route path="/inbox/:documentId/reject" element={<RejectPage />} />
      <Route path="/patients/:patientId" element={<PatientSummaryPage />} />
      <Route path="/letters" element={<SentLettersPage />} />
      <Route path="/letters/new" element={<FreshComposePage />} />
      <Route path="/letters/:documentId" element={<TrackingPage />} />
      <Route path="/letters/:documentId/view" element={<LetterContentPage />} />
      <Route path="/alarms" element={<AlarmsPage />} />
      <Route path="/operations" element={<OperationsPage />} />
      <Route path="/operations/backlog" element={<BacklogReleasePage />} />
      <Route path="/requests" element={<RequestWorklistPage />} />
      <Route path="/requests/sent" element={<RequestTrackerPage />} />
      <Route path="/requests/new" element={<NewRequestPage />} />
      <Route path="/requests/ledger" element={<WorkloadLedgerPage />} />
      <Route path="/requests/:taskId" element={<RequestPage />} />
      <Route path="/privacy/break-glass" element={<BreakGlassReviewsPage />} />
      <Route path="/privacy/audit" element={<AuditSearchPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

/** Before sign-in the start page; a deep link (a bookmarked letter) signs in and comes back. */
function SignedOut() {
  const { pathname } = useLocation();
  return pathname === '/' ? <StartPage /> : <SignInRedirect />;
}

function Screens() {
  const user = useUser();
  return (
    <Layout>
      <Routes>
        <Route path={CALLBACK_PATH} element={<CallbackPage />} />
        <Route path="*" element={user ? <SignedInRoutes /> : <SignedOut />} />
      </Routes>
    </Layout>
  );
}

export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <Screens />
      </BrowserRouter>
    </AuthProvider>
  );
}
