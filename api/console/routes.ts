// Serves the web console: its page at `/`, its script and style files under /console, and preact and htm straight from node_modules.
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/** The console's own files: browser code, outside the TypeScript project, so the boundary shows in the tree. */
export const consoleDirectory = fileURLToPath(new URL('../../console/', import.meta.url));

/**
 * The libraries as the browser imports them. preact.mjs and htm.mjs import nothing themselves, so no import map (an
 * inline script the Content-Security-Policy would refuse) and no build step is needed; the console uses class
 * components because preact/hooks imports the bare specifier "preact", which a browser cannot resolve without one.
 */
const vendorFiles: Record<string, string> = {
  'preact.mjs': fileURLToPath(import.meta.resolve('preact')),
  'htm.mjs': fileURLToPath(import.meta.resolve('htm')),
};

export function createConsoleRouter(): Router {
  const router = Router();
  // Revalidated on every load (ETag), so a changed console is picked up at once and an unchanged one costs a 304.
  const fileOptions = { maxAge: 0, dotfiles: 'deny' as const };
  router.get('/', (_req, res) => {
    res.sendFile('index.html', { ...fileOptions, root: consoleDirectory });
  });
  router.get('/console/vendor/:file', (req, res, next) => {
    const file = vendorFiles[req.params.file];
    if (file === undefined) next();
    else res.sendFile(file, fileOptions);
  });
  router.use('/console', express.static(consoleDirectory, { ...fileOptions, index: false, redirect: false }));
  return router;
}
