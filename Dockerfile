# The engine's image: TypeScript compiled to dist/, production dependencies only, non-root.
# Both stages use the same base image, so the better-sqlite3 native module built (or fetched
# prebuilt) in the first stage matches the runtime's Node ABI and glibc.

FROM node:22.20.0-bookworm-slim AS build
WORKDIR /app
# Toolchain for node-gyp, in case no prebuilt better-sqlite3 binary fits this platform.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# `npm ci` builds the web console (prepare): its sources and build script come first.
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm ci --no-audit --no-fund
RUN npm run build
# Reinstall without the dev dependencies (typescript, types, test tools) for the runtime stage.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22.20.0-bookworm-slim
# espeak-ng: the default text-to-speech provider of the `say` step's `text`.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends espeak-ng \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_PATH=/data/engine.sqlite
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Routing rules (ROUTES_FILE=/app/config/routes.lab.json in the compose lab).
COPY config ./config
# SQLite lives on a volume owned by the unprivileged `node` user of the base image.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
# No curl in the slim image: Node's own fetch asks /health.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form, no shell and no npm: node is PID 1 and gets docker stop's SIGTERM itself, drains the
# live calls (DRAIN_TIMEOUT_MS) and exits 0. Give `docker stop -t` / stop_grace_period more than that.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
