// Composition root: config → store → ARI (or the built-in simulator) → telephony engine → HTTP.
// Owns process signals and shutdown; no other module calls process.exit.
import { randomBytes } from 'node:crypto';
import { loadConfig, ConfigError, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { openSqliteStore } from './store/sqlite-store.js';
import { loadRouter } from './domain/routing.js';
import { createAriClientPort } from './telephony/ari/ari-client-adapter.js';
import { createTelephonyEngine } from './telephony/engine.js';
import { buildApp } from './http/app.js';
import { startHttpServer } from './http/server.js';
import { startSimulator, type RunningSimulator } from './sim/index.js';
import { seedDemo, demoBanner, DEMO_CALLEE_SCRIPTS } from './demo.js';

async function main(): Promise<void> {
  const logger = createLogger();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.fatal(`configuration error: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  installProcessGuards(logger);

  if (config.demoMode) {
    logger.warn('DEMO MODE: JWT_SECRET is not set, tokens are signed with the public demo secret. Anyone can mint a token. Set JWT_SECRET for any real use.');
  }

  let simulator: RunningSimulator | undefined;
  let ari = config.ari;
  if (!ari) {
    // Embedded default: a private simulator on a random loopback port with a random password.
    const password = randomBytes(18).toString('base64url');
    simulator = await startSimulator({
      port: Number(process.env.ARI_SIM_PORT ?? 0),
      host: '127.0.0.1',
      username: 'engine',
      password,
      timeScale: config.simTimeScale,
      scripts: DEMO_CALLEE_SCRIPTS,
      logger: logger.child({ component: 'simulator' }),
    });
    ari = { url: simulator.url, username: 'engine', password, app: config.ariApp };
    logger.info({ ariUrl: simulator.url }, 'no ARI_URL: started the built-in Asterisk simulator');
  }

  const store = await openSqliteStore(config.databasePath);
  if (config.demoMode || simulator) await seedDemo(store);

  const router = loadRouter(config.routesFile);
  const port = createAriClientPort({ ...ari, logger: logger.child({ component: 'ari' }) });
  const engine = createTelephonyEngine({ port, store, router, config, logger: logger.child({ component: 'engine' }) });

  const app = buildApp({ config, store, engine, logger: logger.child({ component: 'http' }), isReady: () => store.isWritable() });
  const http = await startHttpServer(app, config);
  logger.info({ port: http.port }, 'HTTP API listening');

  // ARI may be down at start (Asterisk restarting): the HTTP API serves /health meanwhile and /ready says why.
  engine.start().then(
    () => {
      logger.info('ARI connected');
      if (config.demoMode) process.stdout.write(demoBanner(http.port));
    },
    (err: unknown) => logger.error({ err }, 'telephony engine failed to start'),
  );

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, drainMs: config.drainTimeoutMs }, 'shutting down: no new calls, draining live calls');
    try {
      await http.close();
      await engine.stop({ drainMs: config.drainTimeoutMs });
      await store.close();
      await simulator?.close();
      logger.info('stopped');
      process.exitCode = 0;
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exitCode = 1;
    }
    // Lingering keep-alive sockets must not hold the process after a clean stop.
    setTimeout(() => process.exit(), 200).unref();
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** A stray rejection or exception is logged and the process keeps serving calls. */
function installProcessGuards(logger: Logger): void {
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => logger.error({ err }, 'uncaught exception'));
}

void main();
