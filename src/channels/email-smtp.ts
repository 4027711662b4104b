/**
 * Email over SMTP (any server) with nodemailer: plain-text and HTML parts. Connection and 4xx SMTP
 * answers are retryable; 5xx answers (mailbox unknown, message refused) are permanent.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import { PermanentError, RetryableError } from '../domain/errors.js';

export interface EmailConfig {
  url: string;
  from: string;
}

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Idempotency: the same Message-ID for every attempt of one notification. */
  messageId: string;
  /** Files attached (the weekly report's PDF). */
  attachments?: { filename: string; contentType: string; content: Buffer }[];
}

/** A reusable SMTP sender. */
export class SmtpSender {
  private readonly transport: Transporter;

  /**
   * `connections`: pooled connections kept open (the messages sent at once). The options go in
   * the first argument beside the URL: nodemailer takes a second argument as message defaults, so
   * options there would be ignored and every message would open a new connection.
   */
  constructor(
    private readonly cfg: EmailConfig,
    connections = 1,
  ) {
    this.transport = nodemailer.createTransport({
      url: cfg.url,
      pool: true,
      maxConnections: connections,
      maxMessages: 1000,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    } as never);
  }

  /** Sends one message; returns the server's response line. */
  async send(m: EmailMessage): Promise<string> {
    try {
      const info = await this.transport.sendMail({ from: this.cfg.from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId,
        ...(m.attachments?.length ? { attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })) } : {}) });
      return String(info.response ?? info.messageId);
    } catch (e) {
      const err = e as { responseCode?: number; message: string };
      if (typeof err.responseCode === 'number' && err.responseCode >= 500) throw new PermanentError(`SMTP server refused the message (${err.responseCode}): ${err.message}`);
      throw new RetryableError(`SMTP delivery failed: ${err.message}`);
    }
  }

  close(): void {
    this.transport.close();
  }
}
