import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import './styles/shared.css';
import { setApi } from './api';
import { createSocketApi, socketUrlFor, takeToken } from './bridge';
import { useAppStore } from './stores/app';

const pinia = createPinia();
const app = createApp(App).use(pinia);

// In Electron the preload provides window.api; in a browser, serve mode's WebSocket does.
if (!window.api) {
  const token = takeToken(window.location, window.history, window.sessionStorage);
  if (token) {
    const api = createSocketApi(socketUrlFor(window.location, token));
    api.onDisconnect((message) => {
      useAppStore(pinia).error = message;
    });
    setApi(api);
  } else {
    useAppStore(pinia).error = 'No engine: open the address that `npm run serve` printed (it carries the access token).';
  }
}

app.mount('#app');
