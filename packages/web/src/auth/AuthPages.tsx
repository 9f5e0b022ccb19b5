import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { Page } from '../components/Page';
import { t } from '../strings/en-GB';
import { completeSignIn, signIn } from './session';

export function StartPage() {
  return (
    <Page title={t.auth.startTitle}>
      <p className="nhsuk-lede-text">{t.auth.startLead}</p>
      <p className="nhsuk-body">{t.auth.startHint}</p>
      <button className="nhsuk-button" type="button" onClick={() => void signIn('/')}>
        {t.auth.startButton}
      </button>
    </Page>
  );
}

/**
 * The code in the URL can be redeemed only once, but React may run an effect twice (StrictMode in
 * development), so every run shares the one redemption.
 */
let redemption: { search: string; result: Promise<string> } | undefined;

function redeem(search: string): Promise<string> {
  if (redemption?.search !== search) redemption = { search, result: completeSignIn(search) };
  return redemption.result;
}

/** Where the provider sends the browser back with the authorization code. */
export function CallbackPage() {
  const navigate = useNavigate();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    redeem(window.location.search).then(
      (returnTo) => navigate(returnTo, { replace: true }),
      () => setFailed(true),
    );
  }, [navigate]);
  if (!failed) {
    return (
      <p className="nhsuk-body" role="status">
        {t.auth.signingIn}
      </p>
    );
  }
  return (
    <Page title={t.auth.callbackFailedTitle} hasErrors>
      <p className="nhsuk-body">{t.auth.callbackFailedBody}</p>
      <a className="nhsuk-button" href="/">
        {t.auth.startAgain}
      </a>
    </Page>
  );
}

/** A deep link opened before sign-in: sign in, then come back here. */
export function SignInRedirect() {
  useEffect(() => {
    void signIn(`${window.location.pathname}${window.location.search}`);
  }, []);
  return (
    <p className="nhsuk-body" role="status">
      {t.auth.signingIn}
    </p>
  );
}
