import type { Role } from '../auth/claims';
import { t } from '../strings/en-GB';

export interface NavItem {
  to: string;
  label: string;
}

/**
 * What each role's menu offers. The API enforces access whatever the menu shows; this only keeps
 * people from being offered screens their role cannot use.
 */
export function navigationFor(role: Role): NavItem[] {
  switch (role) {
    case 'gp':
    case 'practice-admin':
      return [
        { to: '/inbox', label: t.nav.inbox },
        { to: '/requests', label: t.nav.requests },
        { to: '/requests/sent', label: t.nav.requestsSent },
        { to: '/alarms', label: t.nav.alarms },
        { to: '/requests/ledger', label: t.nav.workloadLedger },
      ];
    case 'consultant':
    case 'secretary':
      return [
        { to: '/letters', label: t.nav.letters },
        { to: '/letters/new', label: t.nav.compose },
        { to: '/requests/sent', label: t.nav.requestsSent },
        { to: '/requests', label: t.nav.requests },
        { to: '/alarms', label: t.nav.alarms },
        { to: '/inbox', label: t.nav.inbox },
      ];
    case 'ops':
      return [
        { to: '/operations', label: t.nav.operations },
        { to: '/operations/backlog', label: t.nav.backlog },
        { to: '/requests/ledger', label: t.nav.workloadLedger },
        { to: '/alarms', label: t.nav.alarms },
      ];
    case 'privacy-officer':
      return [
        { to: '/privacy/break-glass', label: t.nav.breakGlass },
        { to: '/privacy/audit', label: t.nav.audit },
      ];
    default:
      return [];
  }
}

/** Where a role lands after signing in: the first item of its menu. */
export function homeFor(role: Role): string | undefined {
  return navigationFor(role)[0]?.to;
}
