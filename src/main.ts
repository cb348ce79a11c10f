// Process entry: config, logger, the stack, signals. No other module calls process.exit.
import { loadConfig, ConfigError, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { startStack } from './stack.js';
import { demoBanner, DEMO_CALLEE_SCRIPTS } from './demo.js';

async function main(): Promise<void> {
  const logger = createLogger();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.fatal(`configuration error: ${err.message}`);
    process.exitCode = 2;
    return;
  }
  installProcessGuards(logger);
  if (config.demoMode) {
    logger.warn('DEMO MODE: JWT_SECRET is not set, tokens are signed with a public demo secret: anyone can mint one. Set JWT_SECRET for any real use.');
  }

  const simulatorPort = process.env.ARI_SIM_PORT ? Number(process.env.ARI_SIM_PORT) : 0;
  const stack = await startStack(config, logger, { simulatorScripts: DEMO_CALLEE_SCRIPTS, simulatorPort });
  logger.info({ port: stack.httpPort }, 'HTTP API listening');
  stack.ariConnected.then(() => {
    logger.info('ARI connected');
    if (config.demoMode) process.stdout.write(demoBanner(stack.httpPort));
  }, () => undefined);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, drainMs: config.drainTimeoutMs }, 'shutting down: no new calls, draining live calls');
    try {
      await stack.stop();
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
