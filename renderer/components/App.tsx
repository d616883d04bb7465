import { useEffect, useMemo } from 'react';
import { useApp } from '../hooks';
import { selectAccount, selectAccountState } from '../slices/account/selectors';
import { selectConversationsById, selectSelected, unreadTotal } from '../slices/conversations/selectors';
import { selectTheme } from '../slices/ui/selectors';
import { AccountSetup } from './AccountSetup';
import { ChatView } from './ChatView';
import { ConnectionStatus } from './ConnectionStatus';
import { ConversationList } from './ConversationList';
import { RoomChat } from './RoomChat';
import { RoomsPanel } from './RoomsPanel';
import { LinkPrompt } from './LinkPrompt';
import { Notices } from './Notices';
import { SecurityPanel } from './SecurityPanel';
import { ThemeToggle } from './ThemeToggle';
import { UpdateBanner } from './UpdateBanner';

export function App() {
  const theme = useApp(selectTheme);
  const acc = useApp(selectAccountState);
  const account = useApp(selectAccount);
  const selected = useApp(selectSelected);
  const signOut = useApp((s) => s.signOut);
  const room = useApp((s) => (s.rooms.selectedRoomId ? s.rooms.byId[s.rooms.selectedRoomId] : undefined));
  const byId = useApp(selectConversationsById);
  const unread = useMemo(() => unreadTotal(byId), [byId]);

  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Parley` : 'Parley';
  }, [unread]);

  useEffect(() => {
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', theme);
  }, [theme]);

  return (
    <div className="app" data-ready={acc.loaded ? 'true' : 'false'}>
      <header className="topbar">
        <h1 className="brand">Parley</h1>
        <ConnectionStatus />
        <span className="spacer" />
        {account ? <span className="me muted">{account.displayName ?? account.aor}</span> : null}
        <ThemeToggle />
        {account ? (
          <button type="button" className="ghost" onClick={() => void signOut()}>
            Sign out
          </button>
        ) : null}
      </header>
      <UpdateBanner />
      {!acc.loaded ? (
        <main className="loading" role="status">
          Loading…
        </main>
      ) : !account ? (
        <AccountSetup />
      ) : (
        <main className="workspace">
          <div className="side-col">
            <ConversationList />
            <RoomsPanel />
          </div>
          {room ? (
            <RoomChat key={room.id} room={room} />
          ) : selected ? (
            <ChatView key={selected.id} conversation={selected} />
          ) : (
            <div className="empty-chat muted">
              <p>Select a conversation or start a new one.</p>
            </div>
          )}
        </main>
      )}
      <SecurityPanel />
      <LinkPrompt />
      <Notices />
    </div>
  );
}
