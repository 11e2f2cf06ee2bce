import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CairnError, isCairnError } from '../../errors/index.js';
import { parseMonth, type ReportFormat, type ReportVerifyResult } from '../../services/index.js';
import type { ServerContext } from '../context.js';
import { callerOf } from '../request-audit.js';
import { Answer, addRoute } from '../route-kit.js';
import { obj, str } from '../schemas/common.js';
import {
  REPORT_CONTENT_TYPES,
  reportFileAnswer,
  reportFileBody,
  reportFormat,
  reportMonthParams,
  reportVerifySchema,
  VERIFY_CONTENT_TYPES,
} from '../schemas/reports.js';

/** The body limit of POST /api/v1/reports/verify alone: a PDF report of a big month passes 1 MiB. */
export const REPORT_VERIFY_BODY_LIMIT = 64 * 1024 * 1024;

const TEXT_TYPES: Readonly<Record<ReportFormat, string>> = {
  json: `${REPORT_CONTENT_TYPES.json}; charset=utf-8`,
  csv: `${REPORT_CONTENT_TYPES.csv}; charset=utf-8`,
  html: `${REPORT_CONTENT_TYPES.html}; charset=utf-8`,
  pdf: REPORT_CONTENT_TYPES.pdf,
};

/**
 * The auditors' monthly report (`cairn report`, docs/REPORTS.md): made, signed and recorded
 * (`report.generated`) on the server and answered as the file; and verified from a file's bytes.
 */
export function registerReportRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { backend } = ctx.deps;

  addRoute<{ Params: { month: string }; Querystring: { format: ReportFormat } }, unknown>(app, ctx, {
    method: 'GET',
    url: '/api/v1/reports/:month',
    permission: 'reports.generate',
    action: 'report.generate',
    kind: 'write',
    summary:
      "The month's evidence report, signed with the audit key and recorded as report.generated (`cairn report`): the file, as an attachment",
    tags: ['reports'],
    schema: {
      params: reportMonthParams,
      querystring: obj({ format: { ...reportFormat, default: 'html' } }),
      responses: { 200: reportFileAnswer },
    },
    target: (req) => req.params.month,
    handle: async (req, reply) => {
      const month = monthOf(req.params.month);
      const file = await backend.generateReport({ month, format: req.query.format }, callerOf(req));
      reply
        .type(TEXT_TYPES[file.format])
        .header('content-disposition', `attachment; filename=cairn-report-${file.month}.${file.format}`)
        .header('x-cairn-report-sha256', file.sha256);
      const details = { month: file.month, format: file.format, sha256: file.sha256, figures: file.figures };
      return new Answer(200, Buffer.from(file.bytes), 'ok', { details });
    },
  });

  // Its own scope: the report's bytes whatever their type, up to REPORT_VERIFY_BODY_LIMIT.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (req: FastifyRequest, payload: IncomingMessage) => readReportBody(req, payload));
    addRoute<{ Querystring: { name?: string } }, ReportVerifyResult>(scope, ctx, {
      method: 'POST',
      url: '/api/v1/reports/verify',
      permission: 'reports.generate',
      action: 'report.verify',
      kind: 'read',
      summary:
        'Verify a report file (its bytes as the body): the signature, the rendering, and every figure recomputed from the repository and the signed audit checkpoints (`cairn report verify`)',
      tags: ['reports'],
      schema: {
        querystring: obj({ name: str(1024, { minLength: 1 }) }),
        body: reportFileBody,
        response: reportVerifySchema,
      },
      target: (req) => req.query.name ?? null,
      handle: async (req) => {
        const bytes = req.body;
        if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
          throw new CairnError(
            'CAIRN_E_USAGE',
            'body: send the report file itself as the body (Content-Type: application/octet-stream)',
            { field: 'body' },
          );
        }
        return backend.verifyReport({ bytes, ...(req.query.name ? { name: req.query.name } : {}) });
      },
      outcome: (r) => ({
        details: {
          month: r.month,
          format: r.file.format,
          sha256: r.file.sha256,
          ok: r.ok,
          differing: r.differences.length,
        },
      }),
    });
  });
}

/** `parseMonth` naming the path parameter: 400 with details.field, as a schema violation is. */
function monthOf(text: string): string {
  try {
    return parseMonth(text, 'params.month').month;
  } catch (err) {
    if (isCairnError(err)) throw new CairnError(err.code, err.message, { ...err.details, field: 'params.month' });
    throw err;
  }
}

/** The body as bytes: one of VERIFY_CONTENT_TYPES, at most REPORT_VERIFY_BODY_LIMIT. */
async function readReportBody(req: FastifyRequest, payload: IncomingMessage): Promise<Buffer> {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (!VERIFY_CONTENT_TYPES.includes(type)) {
    throw new CairnError(
      'CAIRN_E_USAGE',
      `send the report file as ${VERIFY_CONTENT_TYPES.join(', ')}, not ${type ? JSON.stringify(type) : 'without a Content-Type'}`,
      { field: 'body' },
    );
  }
  const tooLarge = () =>
    new CairnError(
      'CAIRN_E_TOO_LARGE',
      `the report file is larger than the limit of ${REPORT_VERIFY_BODY_LIMIT} bytes of this route`,
      { limit: REPORT_VERIFY_BODY_LIMIT },
    );
  if (Number(req.headers['content-length']) > REPORT_VERIFY_BODY_LIMIT) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    size += (chunk as Buffer).length;
    if (size > REPORT_VERIFY_BODY_LIMIT) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
