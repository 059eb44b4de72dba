// `node --import ./scripts/wat-register.mjs` (or tsx --import): lets Node load `*.wat?bytes` imports.
import { register } from 'node:module';

register('./wat.mjs', import.meta.url);
