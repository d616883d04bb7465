// Renderer entry: connect to main (Electron preload or web host WebSocket), build the store, bind events, render.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectDefault } from './ipc/client';
import { bindStore } from './ipc/bind';
import { createAppStore } from './store';
import { StoreContext } from './hooks';
import { App } from './components/App';

const client = connectDefault();
const store = createAppStore(client);
bindStore(client, store, () => document.visibilityState === 'visible');

const el = document.getElementById('root');
if (el) {
  createRoot(el).render(
    <StrictMode>
      <StoreContext.Provider value={store}>
        <App />
      </StoreContext.Provider>
    </StrictMode>,
  );
}
