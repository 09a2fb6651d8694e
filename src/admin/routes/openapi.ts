import express, { type Router } from 'express';
import { adminOpenApiDocument } from '../openapi';

/** GET /openapi.json: the admin API's OpenAPI 3 document, public (it describes, it grants nothing). */
export function openapiRoutes(): Router {
  const router = express.Router();
  const document = adminOpenApiDocument();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  return router;
}
