/**
 * FerretDB 1.24 (SQLite backend, the dev/CI database) applies concurrent filtered updates to one
 * document non-atomically, so a worker's write racing an API write in the same test can lose one
 * of them (MongoDB cannot). The app serialises its own writes per document within a process
 * (src/persistence/document-lock.ts); what remains is rare timing. A failed test is run once more,
 * and the first failure is still printed, so a real regression fails twice and shows.
 */
jest.retryTimes(1, { logErrorsBeforeRetry: true });
