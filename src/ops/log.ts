/** Structured JSON logs (pino). `VIGIL_LOG_LEVEL` sets the level; tests default to silent. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the process logger. */
export function createLogger(level = process.env.VIGIL_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info')): Logger {
  return pino({ level, base: { app: 'vigil' }, timestamp: pino.stdTimeFunctions.isoTime });
}
