// preact with htm: tagged templates instead of JSX, so the browser runs the files as written (no build step).
import { h, render, Component, Fragment } from '/console/vendor/preact.mjs';
import htm from '/console/vendor/htm.mjs';

export const html = htm.bind(h);
export { render, Component, Fragment };
