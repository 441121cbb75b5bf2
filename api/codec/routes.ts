// The codec endpoint for the Temporal web UI and CLI: POST /codec/encode and /codec/decode, for admins only, callable from the UI's origin only.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { HttpError } from '../../platform/http/errors.js';
import { parseRequest } from '../../platform/http/validation.js';
import { CodecPayloadsSchema, CodecSessionFormSchema, type CodecPayloads } from './schemas.js';

export interface CodecRouterOptions {
  codec: PayloadCodec;
  /** The only origin a browser may call from (the Temporal web UI's), e.g. http://127.0.0.1:8233. */
  allowedOrigin: string;
  /** Admits admins only; it reads `Authorization: Bearer <token>` (the app injects the real guard). */
  authorize: RequestHandler;
}

/** The cookie that carries an operator's admin token from the UI's browser, which cannot add an Authorization header of its own. */
export const CODEC_SESSION_COOKIE = 'ensemble_codec_token';
const SESSION_SECONDS = 8 * 60 * 60;
/** The page that sets that cookie: the API's one HTML form, so the one path whose POST body is a form. */
export const CODEC_SESSION_PATH = '/codec/session';

export class CodecOriginRefusedError extends HttpError {
  override readonly name = 'CodecOriginRefusedError';
  constructor(origin: string) {
    super(403, 'ORIGIN_NOT_ALLOWED', `The codec endpoint does not answer pages from ${origin}; only the Temporal UI's origin (CODEC_CORS_ORIGIN) may call it`);
  }
}

/** A payload the codec cannot decode: a key missing from PAYLOAD_KEYS, or altered data. */
export class PayloadNotDecodableError extends HttpError {
  override readonly name = 'PayloadNotDecodableError';
  constructor(message: string) {
    super(422, 'PAYLOAD_NOT_DECODABLE', message);
  }
}

const fromJson = (payload: CodecPayloads['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  data: Buffer.from(payload.data ?? '', 'base64'),
});

const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** The page an operator opens once, in the browser that runs the Temporal UI: a plain form (no script), so a strict CSP allows it. */
const sessionPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ensemble — decode payloads in the Temporal UI</title></head>
<body>
<h1>Decode payloads in the Temporal UI</h1>
<p>Paste an admin token. It is kept in an HttpOnly cookie for this API's <code>/codec</code> path only, for ${SESSION_SECONDS / 3600} hours,
and sent when the Temporal UI's Data Encoder has "Include cross-origin credentials" on.</p>
<form method="post" action="/codec/session"><input type="password" name="token" autocomplete="off" required> <button>Enable decoding</button></form>
</body></html>
`;

export function createCodecRouter({ codec, allowedOrigin, authorize }: CodecRouterOptions): Router {
  const router = Router();

  /** CORS for the UI's origin only, with credentials (the session cookie); other browser origins are refused outright. */
  const cors: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (origin === undefined) {
      next();
      return;
    }
    res.vary('Origin');
    if (origin !== allowedOrigin) throw new CodecOriginRefusedError(origin);
    res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    next();
  };

  /** The browser sends the cookie, the CLI an Authorization header: one guard reads the header for both. */
  const sessionAsBearer: RequestHandler = (req, _res, next) => {
    const token = req.get('authorization') === undefined ? cookie(req, CODEC_SESSION_COOKIE) : undefined;
    if (token) req.headers.authorization = `Bearer ${token}`;
    next();
  };

  const convert = (direction: 'encode' | 'decode') => async (req: Request, res: Response) => {
    const { payloads } = parseRequest(CodecPayloadsSchema, req.body, 'body');
    let converted: Payload[];
    try {
      converted = await codec[direction](payloads.map(fromJson));
    } catch (error) {
      throw new PayloadNotDecodableError(error instanceof Error ? error.message : String(error));
    }
    res.json({ payloads: converted.map(toJson) });
  };

  router.options(['/codec/encode', '/codec/decode'], cors, (_req, res) => {
    res.set({
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'X-Namespace, Content-Type, Authorization',
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  });
  router.post('/codec/encode', cors, sessionAsBearer, authorize, convert('encode'));
  router.post('/codec/decode', cors, sessionAsBearer, authorize, convert('decode'));

  router.get(CODEC_SESSION_PATH, (_req, res) => {
    res.type('html').send(sessionPage);
  });
  /** Checks the token with the same guard, then keeps it for the UI's requests (same site: SameSite=Strict still sends it). */
  router.post(
    CODEC_SESSION_PATH,
    express.urlencoded({ extended: false, limit: '16kb' }),
    (req, _res, next) => {
      if (req.get('authorization') === undefined && req.is('application/x-www-form-urlencoded')) {
        req.headers.authorization = `Bearer ${parseRequest(CodecSessionFormSchema, req.body, 'body').token}`;
      }
      next();
    },
    authorize,
    (req, res) => {
      const token = (req.get('authorization') ?? '').replace(/^Bearer\s+/i, '');
      res.cookie(CODEC_SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/codec', maxAge: SESSION_SECONDS * 1000, secure: req.secure });
      if (req.is('application/x-www-form-urlencoded')) res.type('html').send('<!doctype html><p>Decoding enabled for this browser. Reload the Temporal UI.</p>\n');
      else res.status(204).end();
    },
  );
  router.delete(CODEC_SESSION_PATH, (_req, res) => {
    res.clearCookie(CODEC_SESSION_COOKIE, { path: '/codec' });
    res.status(204).end();
  });

  return router;
}
