// The floor under the bot's ack latency, for the benchmark: a Bolt app built exactly as the bot's
// (`createBoltApp`: the same receiver, client and logger) whose `/jit` only acks. Whatever the bench measures
// for it is the cost of Bolt, the socket and the measuring simulator; the bot's figure beside it, minus this,
// is the bot's own.

import { createBoltApp } from '../src/adapters/slack/bolt-app.js';
import { createLogger } from '../src/logger.js';

const { SLACK_BOT_TOKEN: botToken, SLACK_APP_TOKEN: appToken, SLACK_API_URL: apiUrl } = process.env;
if (!botToken || !appToken || !apiUrl) throw new Error('SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_API_URL are required');
const { app } = createBoltApp({ botToken, appToken, apiUrl, log: createLogger('warn', process.stderr, []), retries: 0 });
app.command('/jit', async ({ ack }) => ack());
await app.init();
await app.start();
process.send?.({ ready: true });
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
