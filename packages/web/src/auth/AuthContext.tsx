import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { User } from './claims';
import { currentSession, onSessionChange } from './session';

const UserContext = createContext<User | undefined>(undefined);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | undefined>(currentSession()?.user);
  useEffect(() => onSessionChange((session) => setUser(session?.user)), []);
  return <UserContext.Provider value={user}>{children}</UserContext.Provider>;
}

/** The signed-in user, or undefined before sign-in. */
export function useUser(): User | undefined {
  return useContext(UserContext);
}

/** The signed-in user inside pages that are only shown once signed in. */
export function useSignedInUser(): User {
  const user = useContext(UserContext);
  if (user === undefined) throw new Error('This page needs a signed-in user');
  return user;
}
