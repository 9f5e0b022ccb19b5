import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { FhirError } from '../fhir/client';
import { t } from '../strings/en-GB';

export type Load<T> =
  { status: 'loading' } | { status: 'ready'; data: T } | { status: 'error'; error: Error };

/**
 * Loads data for a screen and reloads when `key` changes. A response that arrives after the key
 * changed again is dropped (it is stamped with the key it was loaded for), so a slow first page can
 * never overwrite a newer one.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): [Load<T>, () => void] {
  const [generation, setGeneration] = useState(0);
  const stamp = `${key}#${generation}`;
  const [result, setResult] = useState<{ stamp: string; load: Load<T> }>({
    stamp: '',
    load: { status: 'loading' },
  });
  // The latest loader, read when the stamp changes: `key` names everything it depends on.
  const loader = useRef(load);
  useEffect(() => {
    loader.current = load;
  });
  useEffect(() => {
    let current = true;
    loader.current().then(
      (data) => current && setResult({ stamp, load: { status: 'ready', data } }),
      (error: unknown) =>
        current &&
        setResult({
          stamp,
          load: { status: 'error', error: asError(error) },
        }),
    );
    return () => {
      current = false;
    };
  }, [stamp]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return [result.stamp === stamp ? result.load : { status: 'loading' }, reload];
}

/** Whatever was thrown, as an Error the problem panel can show. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * A write the user started: `send(work)` runs it, `sending` is true meanwhile (to disable the
 * button that started it) and `failure` holds what it failed with, for a problem panel.
 */
export function useSending() {
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState<Error | undefined>();
  const send = async (work: () => Promise<void>): Promise<void> => {
    setSending(true);
    try {
      await work();
    } catch (error) {
      setFailure(asError(error));
    } finally {
      setSending(false);
    }
  };
  return { sending, failure, setFailure, send };
}

export function Loaded<T>({ load, children }: { load: Load<T>; children: (data: T) => ReactNode }) {
  if (load.status === 'loading') {
    return (
      <p className="nhsuk-body" role="status">
        {t.common.loading}
      </p>
    );
  }
  if (load.status === 'error') return <ProblemPanel error={load.error} />;
  return <>{children(load.data)}</>;
}

export function ProblemPanel({ error }: { error: Error }) {
  const issues = error instanceof FhirError ? error.issues : [];
  return (
    <div className="nhsuk-error-summary" role="alert" aria-labelledby="problem-title">
      <h2 className="nhsuk-error-summary__title" id="problem-title">
        {t.common.problemTitle}
      </h2>
      <div className="nhsuk-error-summary__body">
        <p>
          {error instanceof FhirError && error.status === 403 ? t.common.forbidden : t.common.problemBody}
        </p>
        {issues.length > 0 && (
          <ul className="nhsuk-list">
            {issues.map((issue) => (
              <li key={issue}>{issue}</li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
