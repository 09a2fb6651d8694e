// An API process of its own (forked by api-process.ts): the app on a loopback port, with the
// configuration it is sent ({env, connect}: connect, the database connection's options, optional);
// answers {port} once listening and exits after {type: 'close'}.
require('./ts-register');
const http = require('node:http');
const { loadConfig } = require('../../src/config/config');
const { silentLogger } = require('../../src/observability/logger');
const { createApiRuntime, closeServer } = require('../../src/runtime');
const { connectDatabase } = require('../../src/persistence/mongo');

process.once('message', async ({ env, connect }) => {
  try {
    // SCIM_TEST_START_AT (ms since the epoch): processes loaded at different speeds start together.
    const wait = Number(env.SCIM_TEST_START_AT ?? 0) - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const config = loadConfig(env);
    const db = connect ? await connectDatabase(config.mongodbUri, connect) : undefined;
    const runtime = await createApiRuntime(config, silentLogger, db ? { db } : {});
    const server = http.createServer(runtime.app);
    server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
    process.on('message', async (msg) => {
      if (msg.type !== 'close') return;
      await closeServer(server, 2000);
      await runtime.close();
      await db?.close().catch(() => undefined);
      process.exit(0);
    });
  } catch (err) {
    process.send({ type: 'failed', message: String(err && err.stack ? err.stack : err) });
    process.exit(1);
  }
});
// The test went away: do not linger holding a port and connections.
process.on('disconnect', () => process.exit(0));
