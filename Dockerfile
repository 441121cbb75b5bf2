# One image for every Ensemble component; docker-compose.yml picks the component with `npm run <component>`.

ARG NODE_IMAGE=node:20-bookworm-slim

# Production dependencies only: tsx runs the TypeScript sources, so there is no build stage and no devDependencies.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# npm runs scripts through /bin/sh, which is dash here: dash keeps itself between npm and tsx and dies on the SIGTERM npm
# forwards, orphaning the component, so `docker stop` killed it without a graceful shutdown. bash execs the lone command,
# so the signal reaches tsx, which hands it to the component.
ENV NODE_ENV=production \
    NPM_CONFIG_SCRIPT_SHELL=/bin/bash \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false
WORKDIR /app
# Code and dependencies stay owned by root, read-only for the service user: a compromised process cannot rewrite what it runs.
COPY --from=dependencies /app/node_modules ./node_modules
COPY . .
# The workflows bundled at build time: a worker that bundled them itself would carry webpack's ~170 MB for good.
RUN npm run build:workflows -- /app/dist/workflow-bundle.js
ENV WORKER_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
# The one writable place, for the embedded PGlite store used when DATABASE_URL is not set.
RUN mkdir -p /app/.data && chown node:node /app/.data
ENV DATA_DIR=/app/.data
USER node
# docker-compose.yml sets the component; the image run bare starts the HTTP API.
CMD ["npm", "run", "api"]
