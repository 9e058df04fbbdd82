// The real bot as its own process, for the restart tests and the benchmark: configured from the environment
// exactly as `npm start` is, plus seams — a clock the parent moves over IPC, a short job lease (unless
// JIT_TEST_JOB_LEASE_MS sets one), logs to stderr.
// IPC: {advance: ms} moves the clock and answers {advanced} once idle; {rss: true} answers {rss: bytes};
// {memory: true} answers {memory: process.memoryUsage()}, after a full garbage collection when started with
// --expose-gc (so that what is read is what the bot holds, not when the collector last ran); {stop: true} stops
// the bot and lets go of the IPC channel without exiting: with nothing left running, the process then ends by itself.

import type { Clock } from '../src/application/ports.js';
import { startBot } from '../src/composition/index.js';
import { loadConfig, secretValues } from '../src/config.js';
import { createLogger } from '../src/logger.js';

const clock: Clock & { offset: number } = {
  offset: Number(process.env.JIT_TEST_CLOCK_OFFSET_MS ?? 0),
  now() {
    return Date.now() + this.offset;
  },
};

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`${loaded.problems.join('\n')}\n`);
  process.exit(2);
}
const bot = await startBot(loaded.config, {
  clock,
  log: createLogger(loaded.config.logLevel, process.stderr, secretValues(loaded.config)),
  slackRetries: 0,
  jobLeaseMs: Number(process.env.JIT_TEST_JOB_LEASE_MS ?? 1000),
});

process.on('message', (message: { advance?: number; rss?: boolean; memory?: boolean; stop?: boolean }) => {
  if (message.stop) {
    void bot.stop().then(() => {
      // Named in the parent's failure should something still keep the process alive.
      setTimeout(() => process.stderr.write(`still running: ${process.getActiveResourcesInfo().join(', ')}\n`), 5000).unref();
      process.disconnect();
    });
    return;
  }
  if (message.rss) {
    process.send?.({ rss: process.memoryUsage().rss });
    return;
  }
  if (message.memory) {
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ memory: process.memoryUsage() });
    return;
  }
  if (typeof message.advance !== 'number') return;
  clock.offset += message.advance;
  bot.scheduler.wake();
  void bot.scheduler.idle().then(() => process.send?.({ advanced: clock.offset }));
});
process.send?.({ ready: true, httpPort: bot.httpPort });
// A graceful stop, so that a profile asked for with --cpu-prof is written at exit.
process.once('SIGTERM', () => {
  void bot.stop().finally(() => process.exit(0));
});
