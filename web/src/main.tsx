/**
 * The Vigil dashboard: a Preact page served by `vigil serve` at `/` (built by Vite into web/dist/).
 * Safety rule: text from the API only ever reaches the page as text or attribute values (Preact
 * escapes both); no HTML strings, no dangerouslySetInnerHTML, no inline styles (the CSP forbids
 * them; `style` objects set CSSOM properties, which it allows).
 */
import { render } from 'preact';
import './app.css';
import { boot } from './store.js';
import { App } from './views/app.js';

const root = document.getElementById('root');
if (root) render(<App />, root);
boot();
