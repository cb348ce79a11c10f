// Process entry: config, logger, the stack, signals. No other module calls process.exit.
import { loadConfig, ConfigError, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { startStack } from './stack.js';
import { demoBanner, DEMO_CALLEE_SCRIPTS } from './demo.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // No level was read: the error is logged at the default one.
    createLogger('info').fatal(`configuration error: ${err.message}`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger(config.logLevel);
  installProcessGuards(logger);
  if (config.demoMode) {
    logger.warn('DEMO MODE: JWT_SECRET is not set, tokens are signed with a public demo secret: anyone can mint one. Set JWT_SECRET for any real use.');
  }

  const starting = startStack(config, logger, { simulatorScripts: DEMO_CALLEE_SCRIPTS });
  // Installed before the stack starts: a signal during start-up waits for it, then drains.
  handleStopSignals(logger, async () => {
    try {
      const stack = await starting;
      logger.info({ drainMs: config.drainTimeoutMs, liveCalls: stack.engine.liveCount() }, 'no new calls, draining live calls');
      await stack.stop();
      logger.info('stopped');
      process.exitCode = 0;
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
      process.exitCode = 1;
    }
    // Lingering keep-alive sockets must not hold the process after a clean stop.
    setTimeout(() => process.exit(), 200).unref();
  });
  let stack: Awaited<typeof starting>;
  try {
    stack = await starting;
  } catch (err) {
    // Half-started parts (the simulator's listener) would keep a process that serves nothing alive.
    logger.fatal({ err }, 'the engine could not start');
    process.exit(1);
  }
  logger.info({ port: stack.httpPort }, 'HTTP API listening');
  stack.ariConnected.then(() => {
    logger.info('ARI connected');
    if (config.demoMode) process.stdout.write(demoBanner(stack.httpPort));
  }, () => undefined);
}

/**
 * SIGTERM and SIGINT are handled for the whole life of the process: the first one starts the
 * drain, every later one is only logged. A signal may arrive twice without anyone meaning it (npm
 * forwards the one a supervisor sent to the whole process group), and Node's default action would
 * kill the drain halfway, leaving calls up and sessions live. DRAIN_TIMEOUT_MS bounds the drain.
 */
function handleStopSignals(logger: Logger, drain: () => Promise<void>): void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received > 1) {
      logger.warn({ signal, received }, 'already shutting down: the drain goes on (DRAIN_TIMEOUT_MS bounds it)');
      return;
    }
    logger.info({ signal }, 'shutting down');
    void drain();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** A stray rejection or exception is logged and the process keeps serving calls. */
function installProcessGuards(logger: Logger): void {
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => logger.error({ err }, 'uncaught exception'));
}

void main();
