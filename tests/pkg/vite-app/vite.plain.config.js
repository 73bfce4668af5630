// The same app served without cross-origin isolation (tests/pkg/bundlers.test.mjs runs
// `vite --config vite.plain.config.js` and `vite preview --config …`): vite.config.js less the headers.
import config from "./vite.config.js";

export default { ...config, server: {}, preview: {} };
